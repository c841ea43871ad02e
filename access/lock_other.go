//go:build !unix

package access

import (
	"fmt"
	"os"

	"github.com/ehrkit/ehrkit"
)

// lockFile refuses: the journal's exclusive lock needs flock.
func lockFile(*os.File) error {
	return fmt.Errorf("access: audit journal lock: %w", ehrkit.ErrUnsupported)
}
