package lab

import "github.com/ehrkit/ehrkit/access"

// Groups returns the record-type groups of lab for an access policy
// (access.DefaultPolicy): reports and alerts are clinical (clinicians read
// reports and acknowledge alerts) and results (laboratory staff write them);
// both groups declare the topics that come with them. The reconciliation
// queue is for laboratory staff only. Each call returns fresh slices.
func Groups() []access.Group {
	return []access.Group{
		{Class: access.ClassClinical, Types: []string{ReportType, AlertType}, Topics: []string{TopicResult, TopicEscalated}},
		{Class: access.ClassResult, Types: []string{ReportType, AlertType, QueueType}, Topics: []string{TopicResult, TopicEscalated}},
	}
}
