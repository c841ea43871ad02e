package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ehrkit/ehrkit/interop/dicom"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// summary is the line printed per file.
type summary struct {
	Source         string   `json:"source"`
	PatientID      string   `json:"patient_id"`
	StudyUID       string   `json:"study_uid"`
	SeriesUID      string   `json:"series_uid"`
	SOPInstanceUID string   `json:"sop_instance_uid"`
	Modality       string   `json:"modality"`
	TransferSyntax string   `json:"transfer_syntax"`
	Elements       int      `json:"elements"`
	Error          *failure `json:"error"`
}

// failure is the error of a file that was not read.
type failure struct {
	Tag     *string `json:"tag"`
	Offset  *int64  `json:"offset"`
	Message string  `json:"message"`
}

// run is the program without its process: arguments and outputs are passed
// in, the exit status is returned.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("dicom", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Bool("json", true, "one JSON summary object per file per line (the default)")
	model := flags.Bool("dicomjson", false, "write the DICOM JSON model of each file instead")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: dicom [-json] [-dicomjson] FILE|DIR...")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return exitUsage
	}
	if flags.NArg() == 0 {
		flags.Usage()
		return exitUsage
	}
	status := exitOK
	for _, arg := range flags.Args() {
		for path, err := range files(arg) {
			var f *dicom.File
			if err == nil {
				f, err = dicom.ReadFile(path, dicom.Options{})
			}
			if err != nil {
				status = exitFailed
			}
			if werr := write(stdout, stderr, path, f, err, *model); werr != nil {
				fmt.Fprintf(stderr, "dicom: write output: %v\n", werr)
				return exitFailed
			}
		}
	}
	return status
}

// write prints the line of one file.
func write(stdout, stderr io.Writer, path string, f *dicom.File, err error, model bool) error {
	if model {
		if err != nil {
			fmt.Fprintf(stderr, "dicom: %s: %v\n", path, err)
			return nil
		}
		if err := dicom.WriteJSON(stdout, f.Elements); err != nil {
			return err
		}
		_, err := io.WriteString(stdout, "\n")
		return err
	}
	s := summary{Source: path}
	if err != nil {
		s.Error = &failure{Message: err.Error()}
		var de *dicom.Error
		if errors.As(err, &de) {
			tag, off := de.Tag.String(), de.Offset
			s.Error = &failure{Tag: &tag, Offset: &off, Message: de.Message}
		}
	} else {
		s.PatientID, s.StudyUID, s.SeriesUID = f.Get(dicom.TagPatientID), f.Get(dicom.TagStudyInstanceUID), f.Get(dicom.TagSeriesInstanceUID)
		s.SOPInstanceUID, s.Modality = f.Get(dicom.TagSOPInstanceUID), f.Get(dicom.TagModality)
		s.TransferSyntax, s.Elements = f.TransferSyntax, f.Count()
	}
	return json.NewEncoder(stdout).Encode(s)
}

// files yields the path arg, or the regular files under it when it is a
// directory (names starting with a dot skipped), with the error of a path
// that cannot be read.
func files(arg string) func(yield func(string, error) bool) {
	return func(yield func(string, error) bool) {
		info, err := os.Stat(arg)
		if err != nil || !info.IsDir() {
			yield(arg, err)
			return
		}
		_ = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if path != arg && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if err != nil || d.Type().IsRegular() {
				if !yield(path, err) {
					return filepath.SkipAll
				}
			}
			return nil
		})
	}
}
