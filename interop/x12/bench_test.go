package x12_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/ehrkit/ehrkit/interop/x12"
)

// many837 repeats the example's subscriber loop n times in one set, with the
// set's SE01 recomputed.
func many837(n int) []byte {
	head, rest, _ := strings.Cut(example837, "HL*2*1*22*0~\n")
	claim, tail, _ := strings.Cut(rest, "SE*20*0001~\n")
	var b bytes.Buffer
	b.WriteString(head)
	for range n {
		b.WriteString("HL*2*1*22*0~\n")
		b.WriteString(claim)
	}
	segs := strings.Count(head, "~") - 2 + n*(1+strings.Count(claim, "~")) + 1
	b.WriteString("SE*" + strconv.Itoa(segs) + "*0001~\n")
	b.WriteString(tail)
	return b.Bytes()
}

func countClaims(b *testing.B, data []byte) int {
	r := x12.NewReader(bytes.NewReader(data))
	claims := 0
	for {
		s, err := r.Next()
		if errors.Is(err, io.EOF) {
			return claims
		}
		if err != nil {
			b.Fatal(err)
		}
		if s.ID() == "CLM" {
			claims++
		}
	}
}

// BenchmarkRead837 reads a generated 837P of 10,000 claims strictly, with the
// loop-structure checks; it reports MB/s and claims/s.
func BenchmarkRead837(b *testing.B) {
	data := many837(10000)
	b.SetBytes(int64(len(data)))
	claims := 0
	for b.Loop() {
		claims += countClaims(b, data)
	}
	b.ReportMetric(float64(claims)/b.Elapsed().Seconds(), "claims/s")
}

// repeater streams head, n copies of block, then tail, without holding the
// whole input.
type repeater struct {
	parts [][]byte
	n     int
	cur   []byte
	stage int
}

func (r *repeater) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		switch {
		case r.stage == 0:
			r.cur, r.stage = r.parts[0], 1
		case r.stage == 1 && r.n > 0:
			r.cur, r.n = r.parts[1], r.n-1
		case r.stage == 1:
			r.cur, r.stage = r.parts[2], 2
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// TestStreamingMemoryFlat reads a generated 837P of about 100 MB and checks
// that the live heap stays small while it does.
func TestStreamingMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 100 MB")
	}
	head, rest, _ := strings.Cut(example837, "HL*2*1*22*0~\n")
	claim, tail, _ := strings.Cut(rest, "SE*20*0001~\n")
	block := "HL*2*1*22*0~\n" + claim
	n := 100 << 20 / len(block)
	segs := strings.Count(head, "~") - 2 + n*strings.Count(block, "~") + 1
	src := &repeater{parts: [][]byte{[]byte(head), []byte(block), []byte("SE*" + strconv.Itoa(segs) + "*0001~\n" + tail)}, n: n}
	r := x12.NewReader(src)
	var ms runtime.MemStats
	peak, count := uint64(0), 0
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if count++; count%200000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if peak > 32<<20 {
		t.Fatalf("live heap reached %d bytes reading a 100 MB stream", peak)
	}
	t.Logf("%d segments, peak live heap %d KiB", count, peak>>10)
}

// nodeX12 returns the directory of the node-x12 peer benchmark, installing
// its locked dependencies from the repository's package-lock.json when they
// are missing; it skips when node or npm is not installed.
func nodeX12(b *testing.B) string {
	dir, err := filepath.Abs(filepath.Join("..", "..", "internal", "nodex12"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		b.Skip("node not installed: node-x12 peer benchmark skipped")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "node-x12")); err != nil {
		if _, err := exec.LookPath("npm"); err != nil {
			b.Skip("npm not installed: node-x12 peer benchmark skipped")
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Skipf("npm ci failed, node-x12 peer benchmark skipped: %v\n%s", err, out)
		}
	}
	return dir
}

// BenchmarkNodeX12Read837 parses the bytes BenchmarkRead837 reads with
// node-x12 (strict mode), in the same run: node reads the file once and
// parses it b.N times; ns/op, MB/s and claims/s are node's own timings of
// the parses, without process start-up.
func BenchmarkNodeX12Read837(b *testing.B) {
	dir := nodeX12(b)
	data := many837(10000)
	file := filepath.Join(b.TempDir(), "many.837")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command("node", filepath.Join(dir, "bench.js"), file, strconv.Itoa(b.N)).Output()
	if err != nil {
		b.Fatalf("node-x12: %v", err)
	}
	var passes []struct{ NS, Claims int64 }
	if err := json.Unmarshal(out, &passes); err != nil || len(passes) != b.N {
		b.Fatalf("node-x12 output: %v (%d passes for %d)", err, len(passes), b.N)
	}
	var ns, claims int64
	for _, p := range passes {
		ns, claims = ns+p.NS, claims+p.Claims
	}
	if claims != int64(b.N)*10000 {
		b.Fatalf("node-x12 found %d claims in %d passes", claims, b.N)
	}
	perOp := float64(ns) / float64(b.N)
	b.ReportMetric(perOp, "ns/op")
	b.ReportMetric(float64(len(data))/perOp*1e3, "MB/s")
	b.ReportMetric(float64(claims)/(float64(ns)/1e9), "claims/s")
}
