package patient

import "github.com/ehrkit/ehrkit/access"

// Groups returns the record-type groups of the registry for an access policy
// (access.DefaultPolicy): the patient record and its topics are demographic;
// identifier claims, the MRN counter and merge records are the registry's
// bookkeeping. Each call returns fresh slices.
func Groups() []access.Group {
	return []access.Group{
		{Class: access.ClassDemographic, Types: []string{RecordType}, Topics: []string{TopicRegistered, TopicUpdated, TopicMerged, TopicUnmerged}},
		{Class: access.ClassRegistry, Types: []string{IdentifierRecordType, CounterRecordType, MergeRecordType}},
	}
}
