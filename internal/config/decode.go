package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decode walks the YAML node tree into out (a pointer to a struct with yaml tags) so
// that every error names the full key path, e.g. "checks[2].timeout: ...". Unknown and
// duplicate keys are errors; null leaves the default in place; a list replaces the
// default list.
func decode(data []byte, out any) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("invalid YAML: %w", err)
	}
	// A second document would be silently ignored, and what it says never applied.
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		line := next.Line
		if err != nil {
			return fmt.Errorf("invalid YAML after the first document: %w", err)
		}
		return fmt.Errorf("the config holds more than one YAML document (the second starts at line %d): put every key in one", line)
	}
	if doc.Kind == 0 { // empty document: all defaults
		return nil
	}
	node := &doc
	if node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return nil
		}
		node = node.Content[0]
	}
	if isNull(node) {
		return nil
	}
	if node.Kind != yaml.MappingNode {
		return errors.New("the document must be a mapping of keys (listen, paths, app, ...)")
	}
	budget := maxNodes
	return decodeValue(node, reflect.ValueOf(out).Elem(), "", &budget)
}

// maxNodes bounds the values decoded from one document, so aliases that refer to
// aliases cannot make a small file expand into a huge one.
const maxNodes = 100_000

var durationType = reflect.TypeOf(time.Duration(0))

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int":
			return "the number " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unsupported node"
}

// decodeValue decodes n into v strictly, path naming the field for errors; budget
// bounds the nodes visited (alias bombs). Each kind of target has its own step.
func decodeValue(n *yaml.Node, v reflect.Value, path string, budget *int) error {
	if *budget--; *budget < 0 {
		return fieldErr(path, "document too large or too many alias expansions")
	}
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if isNull(n) {
		return nil
	}
	if v.Type() == durationType {
		return decodeDuration(n, v, path)
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if err := decodeValue(n, p.Elem(), path, budget); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Struct:
		return decodeStruct(n, v, path, budget)
	case reflect.Slice:
		return decodeSlice(n, v, path, budget)
	}
	return decodeScalar(n, v, path)
}

func decodeDuration(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" && n.Tag != "!!int" {
		return fieldErr(path, "want a duration such as 500ms, 5s or 2m, got %s", kindName(n))
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		return fieldErr(path, "%q is not a duration (use a unit: 500ms, 5s, 2m)", n.Value)
	}
	v.SetInt(int64(d))
	return nil
}

// decodeStruct maps keys to yaml-tagged fields; an unknown or repeated key is an error.
func decodeStruct(n *yaml.Node, v reflect.Value, path string, budget *int) error {
	if n.Kind != yaml.MappingNode {
		return fieldErr(path, "want a mapping, got %s", kindName(n))
	}
	fields := map[string]int{}
	var known []string
	for i := 0; i < v.NumField(); i++ {
		tag := strings.Split(v.Type().Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		known = append(known, tag)
	}
	seen := map[string]bool{}
	for i := 0; i < len(n.Content); i += 2 { // a mapping's content is key, value pairs
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return fieldErr(path, "keys must be plain strings")
		}
		key := k.Value
		if seen[key] {
			return fieldErr(join(path, key), "duplicate key")
		}
		seen[key] = true
		idx, ok := fields[key]
		if !ok {
			return fieldErr(join(path, key), "unknown field (known: %s)", strings.Join(known, ", "))
		}
		if err := decodeValue(val, v.Field(idx), join(path, key), budget); err != nil {
			return err
		}
	}
	return nil
}

func decodeSlice(n *yaml.Node, v reflect.Value, path string, budget *int) error {
	if n.Kind != yaml.SequenceNode {
		return fieldErr(path, "want a list, got %s", kindName(n))
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		if err := decodeValue(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i), budget); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

// decodeScalar takes a value only with the YAML tag of its Go type: "5" is not 5.
func decodeScalar(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.ScalarNode {
		return fieldErr(path, "want a single value, got %s", kindName(n))
	}
	switch v.Kind() {
	case reflect.String:
		if n.Tag != "!!str" {
			return fieldErr(path, "want a string, got %s (quote it)", kindName(n))
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Tag != "!!bool" {
			return fieldErr(path, "want true or false, got %s", kindName(n))
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			return fieldErr(path, "%v", err)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		if n.Tag != "!!int" {
			return fieldErr(path, "want an integer, got %s", kindName(n))
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil {
			return fieldErr(path, "%q is not an integer in range", n.Value)
		}
		v.SetInt(i)
	case reflect.Uint64:
		if n.Tag != "!!int" {
			return fieldErr(path, "want a non-negative integer, got %s", kindName(n))
		}
		u, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil {
			return fieldErr(path, "%q is not a non-negative integer in range", n.Value)
		}
		v.SetUint(u)
	default:
		return fieldErr(path, "unsupported field type %s", v.Type())
	}
	return nil
}
