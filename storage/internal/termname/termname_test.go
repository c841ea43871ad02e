package termname_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ehrkit/ehrkit/storage/internal/termname"
)

// TestCache: a key is absent until added, then found, and concurrent adds and
// gets are safe (run with -race).
func TestCache(t *testing.T) {
	var c termname.Cache[int64]
	k := termname.Key{Type: "Patient", Name: "name"}
	_, ok := c.Get(k)
	assert.False(t, ok)
	c.Add(nil)
	c.Add(map[termname.Key]int64{k: 7})
	v, ok := c.Get(k)
	assert.True(t, ok)
	assert.Equal(t, int64(7), v)
	_, ok = c.Get(termname.Key{Type: "Observation", Name: "name"})
	assert.False(t, ok, "the record type is part of the key")

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			k := termname.Key{Type: "T", Name: fmt.Sprint(i)}
			c.Add(map[termname.Key]int64{k: int64(i)})
			v, ok := c.Get(k)
			assert.True(t, ok)
			assert.Equal(t, int64(i), v)
		})
	}
	wg.Wait()
}

func ExampleCache() {
	var c termname.Cache[int32]
	c.Add(map[termname.Key]int32{{Type: "Patient", Name: "birthdate"}: 3})
	tn, ok := c.Get(termname.Key{Type: "Patient", Name: "birthdate"})
	fmt.Println(tn, ok)
	// Output: 3 true
}
