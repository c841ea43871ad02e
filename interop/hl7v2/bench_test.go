package hl7v2_test

import (
	"os"
	"testing"

	"github.com/ehrkit/ehrkit/interop/hl7v2"
)

// BenchmarkParse parses every corpus message (canonical form) and reads the
// fields a result feed reads; b.SetBytes makes MB/s the corpus throughput.
func BenchmarkParse(b *testing.B) {
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
	b.SetBytes(int64(total / len(msgs)))
	b.ReportAllocs()
	b.ResetTimer()
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
}
