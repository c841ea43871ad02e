package fhir

import (
	"fmt"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
	bcrpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/bundle_and_contained_resource_go_proto"
	"google.golang.org/protobuf/proto"
)

// Codec parses and renders FHIR R4 JSON with google/fhir/go's jsonformat, which
// validates resources against the R4 specification as it parses. A Codec is not
// safe for concurrent use: give each goroutine its own.
type Codec struct {
	un *jsonformat.Unmarshaller
	m  *jsonformat.Marshaller
}

// NewCodec returns a codec that reads times without a zone as UTC.
func NewCodec() (*Codec, error) {
	un, err := jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
	if err != nil {
		return nil, err
	}
	m, err := jsonformat.NewMarshaller(false, "", "", fhirversion.R4)
	if err != nil {
		return nil, err
	}
	return &Codec{un: un, m: m}, nil
}

// Parse decodes and validates one resource. The error lists what is wrong
// with the resource, with element paths. Input the parser would not refuse
// but should (nesting deeper than MaxDepth, strings that are not UTF-8 or
// hold a NUL) is refused first with a *ehrkit.ValidationError naming the
// path of each offending element.
func (c *Codec) Parse(b []byte) (*bcrpb.ContainedResource, error) {
	if err := checkJSON(b); err != nil {
		return nil, err
	}
	msg, err := c.un.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	cr, ok := msg.(*bcrpb.ContainedResource)
	if !ok {
		return nil, fmt.Errorf("unexpected message %T", msg)
	}
	return cr, nil
}

// Render encodes a resource as compact FHIR JSON.
func (c *Codec) Render(cr *bcrpb.ContainedResource) ([]byte, error) {
	return c.m.Marshal(cr)
}

// ResourceOf returns the resource type name ("Patient") and the resource
// message held by cr, or "" and nil if cr is empty.
func ResourceOf(cr *bcrpb.ContainedResource) (string, proto.Message) {
	m := cr.ProtoReflect()
	od := m.Descriptor().Oneofs().ByName("oneof_resource")
	fd := m.WhichOneof(od)
	if fd == nil {
		return "", nil
	}
	res := m.Get(fd).Message().Interface()
	return string(res.ProtoReflect().Descriptor().Name()), res
}
