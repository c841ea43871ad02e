// Command dicom reads the metadata of DICOM files (pixel data skipped) and
// prints, for each file, one JSON object on its own line:
//
//	dicom [-json] [-dicomjson] FILE|DIR...
//
//	{"source": "scans/1.dcm", "patient_id": "…", "study_uid": "…", "series_uid": "…",
//	 "sop_instance_uid": "…", "modality": "MR", "transfer_syntax": "1.2.840.10008.1.2.1",
//	 "elements": 109, "error": null}
//
// source is the path read; elements counts the top-level elements, File
// Meta group included. A file that fails has "error": {"tag": "(0008,0005)",
// "offset": 1234, "message": "…"}: the element being read and the byte offset
// of the problem (tag and offset are null when the file could not be opened).
// A directory is read recursively, every regular file whose name does not
// start with a dot, in lexical order. -json selects this output (the
// default); -dicomjson writes the DICOM JSON model (PS3.18 Annex F) of each
// file instead, one document per line, and reports failures on standard
// error.
//
// Exit status: 0 when every file was read, 1 when some failed, 2 on bad
// usage (no file named, an unknown flag).
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
