package hl7v2_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ehrkit/ehrkit/internal/benchcpu"
	"github.com/ehrkit/ehrkit/interop/hl7v2"
)

// benchMessages are the corpus messages (canonical form) that parse as one
// message, and their mean size.
func benchMessages(b *testing.B) ([][]byte, int) {
	var msgs [][]byte
	total := 0
	for _, f := range corpusFiles(b) {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		c := canonical(data)
		if _, err := hl7v2.Parse(c); err == nil {
			msgs = append(msgs, c)
			total += len(c)
		}
	}
	return msgs, total / len(msgs)
}

// BenchmarkParse parses every corpus message (canonical form) and reads the
// fields a result feed reads; b.SetBytes makes MB/s the corpus throughput.
func BenchmarkParse(b *testing.B) {
	msgs, size := benchMessages(b)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchcpu.Process()
	for i := 0; i < b.N; i++ {
		m, err := hl7v2.Parse(msgs[i%len(msgs)])
		if err != nil {
			b.Fatal(err)
		}
		_ = m.Get("PID-3.1")
		_ = m.Get("PID-5.1")
		_ = m.Get("OBX-3.1")
		_ = m.Get("OBX-5")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	reportCPU(b, float64(benchcpu.Process()-cpu), b.N, size)
}

// reportCPU reports the CPU time per message (cpu-ns/op) and the rates it
// gives (cpu-MB/s, cpu-msgs/s): the figures that compare runs on a shared
// machine.
func reportCPU(b *testing.B, ns float64, n, size int) {
	if ns <= 0 {
		return
	}
	b.ReportMetric(ns/float64(n), "cpu-ns/op")
	b.ReportMetric(float64(size)*float64(n)/(ns/1e9)/1e6, "cpu-MB/s")
	b.ReportMetric(float64(n)/(ns/1e9), "cpu-msgs/s")
}

// BenchmarkPeers runs the node parsers of @medplum/core (Hl7Message) and
// simple-hl7 on the messages of BenchmarkParse, reading the same fields, and
// reports their ns/op, MB/s and msgs/s beside it, and their process CPU
// time the same way as BenchmarkParse's (cpu-ns/op, cpu-MB/s, cpu-msgs/s). The packages are installed
// from testdata/peers/package-lock.json (npm ci) when node_modules is
// missing; without node and npm the benchmark skips.
func BenchmarkPeers(b *testing.B) {
	dir, err := filepath.Abs(filepath.Join("testdata", "peers"))
	if err != nil {
		b.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		b.Skip("node is not installed: the peer benchmark needs it")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Skipf("npm ci in %s failed: %v\n%s", dir, err, out)
		}
	}
	msgs, size := benchMessages(b)
	texts := make([]string, len(msgs))
	for i, m := range msgs {
		texts[i] = string(m)
	}
	file := filepath.Join(b.TempDir(), "messages.json")
	data, err := json.Marshal(texts)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		b.Fatal(err)
	}
	for _, lib := range []string{"medplum", "simple-hl7"} {
		b.Run(lib, func(b *testing.B) {
			n := max(b.N, 20*len(msgs)) // node's start-up is outside its timed loop
			cmd := exec.Command(node, "bench.js", lib, file, strconv.Itoa(n))
			cmd.Dir = dir
			out, err := cmd.Output()
			if err != nil {
				b.Fatalf("%s: %v", lib, err)
			}
			var res struct{ NS, CPUNS float64 }
			if err := json.Unmarshal(out, &res); err != nil {
				b.Fatalf("%s: %v: %s", lib, err, out)
			}
			secs := res.NS / 1e9
			b.ReportMetric(res.NS/float64(n), "ns/op")
			b.ReportMetric(float64(size)*float64(n)/secs/1e6, "MB/s")
			b.ReportMetric(float64(n)/secs, "msgs/s")
			reportCPU(b, res.CPUNS, n, size)
		})
	}
}
