//go:build !unix

package benchcpu

func processCPU() int64 { return 0 }
