// Package dicom reads the metadata of DICOM files (PS3.10 Part 10 files and
// bare data sets), writes the DICOM JSON model (PS3.18 Annex F) and folds
// the files of a study into a clinical.ImagingStudy.
//
// # Reading
//
// Read and ReadFile take a file's meta group and data set, pixel data
// skipped (its length kept, the value not decoded), in every transfer
// syntax the metadata needs: implicit VR little endian, explicit VR little
// and big endian, deflated explicit VR little endian, and the encapsulated
// syntaxes (their pixel data fragments skipped). Sequences of defined and
// undefined length are read to any depth up to 32, private elements are
// kept raw (their bytes, VR UN in implicit VR data), text is decoded from
// the Specific Character Set (0008,0005) — ISO 8859 sets (ISO_IR 100 ...),
// UTF-8 (ISO_IR 192), GB18030, and ISO 2022 code extensions with Japanese
// (ISO 2022 IR 87 / 159 / 13) — and person names are split into their
// Alphabetic, Ideographic and Phonetic groups.
//
// Two readers work together. The package's own reader walks every file
// first: it checks each length against the bytes left before anything is
// allocated, so a truncated or hostile file fails with an *Error naming the
// tag and byte offset, never a panic and never more memory than the file's
// size. github.com/suyashkumar/dicom (v1.1.0, pixel data skipped) then
// reads the accepted file, and its elements are used when it succeeds and
// agrees with the own reading element by element (tag, VR, values, items).
// Where the library fails on a valid file, the own reading is used and
// File.Reader says so. Two kinds of valid file are known to need it: an
// undefined-length sequence sent with VR UN, whose items are implicit VR
// little endian (PS3.5 §6.2.2, CP-246), which the library rejects; and a
// data set without File Meta group, which the own reader alone reads: the
// library either fails on one or, guessing its syntax, allocates some
// 170 MB for a 40 KB file (measured on the corpus), so it is not given
// one. The own reader also skips up to 7 stray bytes before the first
// element of a bare data set, such as a pad byte left by a tool that cut
// the group off.
//
// # DICOM JSON
//
// WriteJSON writes the data set in the DICOM JSON model: uppercase 8-hex
// tags, "vr", "Value" (numbers for IS, DS and binary numbers; person names
// as objects with Alphabetic, Ideographic and Phonetic), "InlineBinary"
// (base64) for binary values and "BulkDataURI" for the skipped pixel data.
// ParseJSON reads the model back.
//
// # Studies
//
// Studies folds files into clinical.ImagingStudy values, one per Study
// Instance UID; an Importer files each through clinical's
// ReceiveImagingStudy: the Patient ID (an identifier of the Importer's
// System), birth date and sex name the patient (patient.Identify), and a
// study without a confident match waits in the imaging reconciliation queue
// (clinical's ImagingQueue) until Resolve files it to the patient a person
// chose. A study carrying the accession number of the patient's active
// imaging order completes that order in the transaction that files it.
package dicom
