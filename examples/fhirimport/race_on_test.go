//go:build race

package main

// raceEnabled reports that the race detector is on: it slows google/fhir/go's
// parser about tenfold, so corpus-wide tests use a sample of the corpus.
const raceEnabled = true
