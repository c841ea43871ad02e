//go:build tools

// Package ehrkit pins dependencies that packages adopt as they land.
package ehrkit

import (
	_ "github.com/google/fhir/go/fhirversion"
	_ "github.com/google/fhir/go/jsonformat"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/shopspring/decimal"
	_ "github.com/stretchr/testify/require"
	_ "github.com/teambition/rrule-go"
	_ "golang.org/x/text/unicode/norm"
	_ "modernc.org/sqlite"
)
