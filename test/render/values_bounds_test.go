package render

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"kotaemon-k8s/invariants"
	"kotaemon-k8s/test/chart"
)

// bound is what one key admits, as values.yaml's comment states it or as the schema does.
type bound struct {
	Min, Max, Const *float64
	Enum            []string
}

func (b bound) String() string {
	var parts []string
	for _, f := range []struct {
		name string
		v    *float64
	}{{"min", b.Min}, {"max", b.Max}, {"const", b.Const}} {
		if f.v != nil {
			parts = append(parts, fmt.Sprintf("%s %v", f.name, *f.v))
		}
	}
	if b.Enum != nil {
		parts = append(parts, fmt.Sprintf("one of %q", b.Enum))
	}
	return strings.Join(parts, ", ")
}

// The forms a `# --` comment states a bound in, each in parentheses, a reason after a comma.
var (
	atLeast = regexp.MustCompile(`\((>=|<=|=) (-?[0-9.]+)(?:[,;][^)]*)?\)`)
	between = regexp.MustCompile(`\((-?[0-9.]+)-([0-9.]+)(?:[,;][^)]*)?\)`)
	oneOf   = regexp.MustCompile(`\(one of: ([^)]*)\)`)
)

func number(t *testing.T, s string) *float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err, s)
	return &f
}

// statedBound is the bound a key's comment states (the zero bound: none).
func statedBound(t *testing.T, comment string) bound {
	t.Helper()
	var b bound
	for _, m := range atLeast.FindAllStringSubmatch(comment, -1) {
		switch m[1] {
		case ">=":
			b.Min = number(t, m[2])
		case "<=":
			b.Max = number(t, m[2])
		case "=":
			b.Const = number(t, m[2])
		}
	}
	for _, m := range between.FindAllStringSubmatch(comment, -1) {
		b.Min, b.Max = number(t, m[1]), number(t, m[2])
	}
	if m := oneOf.FindStringSubmatch(comment); m != nil {
		b.Enum = []string{}
		for _, v := range strings.Split(m[1], ",") {
			b.Enum = append(b.Enum, strings.Trim(strings.TrimSpace(v), `"`))
		}
	}
	return b
}

// schemaBound is the bound the schema gives a property ($ref followed).
func schemaBound(root, prop map[string]any) bound {
	prop = follow(root, prop)
	var b bound
	num := func(k string) *float64 {
		if f, ok := prop[k].(float64); ok {
			return &f
		}
		return nil
	}
	b.Min, b.Max, b.Const = num("minimum"), num("maximum"), num("const")
	if enum, ok := prop["enum"].([]any); ok {
		b.Enum = []string{}
		for _, v := range enum {
			b.Enum = append(b.Enum, fmt.Sprint(v))
		}
	}
	return b
}

func follow(root, prop map[string]any) map[string]any {
	ref, ok := prop["$ref"].(string)
	if !ok {
		return prop
	}
	var cur any = root
	for _, seg := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		cur = cur.(map[string]any)[seg]
	}
	return follow(root, cur.(map[string]any))
}

// fieldBound is a bound stated for a field of an array's items: "intervalSeconds (1-86400)".
var fieldBound = regexp.MustCompile(`(\w+) (\((?:(?:>=|<=|=) -?[0-9.]+|-?[0-9.]+-[0-9.]+|one of: [^)]*)(?:[,;][^)]*)?\))`)

// itemFieldBounds are the bounds the schema gives the fields of an array's object items,
// nested arrays' fields included, by field name (a field of scalar items: its items').
func itemFieldBounds(root, items map[string]any, out map[string]bound) {
	props, _ := follow(root, items)["properties"].(map[string]any)
	for name, p := range props {
		p := follow(root, p.(map[string]any))
		b := schemaBound(root, p)
		if sub, ok := p["items"].(map[string]any); ok {
			if _, objects := follow(root, sub)["properties"]; objects {
				itemFieldBounds(root, sub, out)
				continue
			}
			b = schemaBound(root, sub)
		}
		if b.String() != "" {
			out[name] = b
		}
	}
}

// commentText is a comment's text on one line, without its "#" marks.
func commentText(comment string) string {
	var words []string
	for _, line := range strings.Split(comment, "\n") {
		words = append(words, strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "#")))
	}
	return strings.Join(words, " ")
}

// boundsOf pairs every key of values.yaml with the bound its comment states and the
// bound the schema gives it; an array of objects is paired field by field ("key[].field",
// stated in the array key's comment as "field (bound)"), an array of scalars by its items.
func boundsOf(t *testing.T) map[string][2]bound {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chart.Dir(), "values.yaml"))
	require.NoError(t, err)
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &doc))
	data, err = os.ReadFile(filepath.Join(chart.Dir(), "values.schema.json"))
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(data, &schema))
	out := map[string][2]bound{}
	var walk func(n *yaml.Node, s map[string]any, path string)
	walk = func(n *yaml.Node, s map[string]any, path string) {
		props, _ := follow(schema, s)["properties"].(map[string]any)
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := strings.TrimPrefix(path+"."+k.Value, ".")
			comment := commentText(k.HeadComment)
			prop, _ := props[k.Value].(map[string]any)
			if prop == nil {
				prop = map[string]any{}
			}
			items, isArray := follow(schema, prop)["items"].(map[string]any)
			switch _, objects := follow(schema, items)["properties"]; {
			case isArray && objects:
				inSchema := map[string]bound{}
				itemFieldBounds(schema, items, inSchema)
				stated := map[string]bound{}
				for _, m := range fieldBound.FindAllStringSubmatch(comment, -1) {
					stated[m[1]] = statedBound(t, m[2])
				}
				for _, f := range append(slices.Collect(maps.Keys(inSchema)), slices.Collect(maps.Keys(stated))...) {
					out[key+"[]."+f] = [2]bound{stated[f], inSchema[f]}
				}
			case isArray:
				out[key] = [2]bound{statedBound(t, comment), schemaBound(schema, items)}
			default:
				out[key] = [2]bound{statedBound(t, comment), schemaBound(schema, prop)}
			}
			walk(v, prop, key)
		}
	}
	walk(doc.Content[0], schema, "")
	return out
}

// Every bound on a value is written once, with its reason, in the `# --` comment of its
// key in values.yaml ("(>= 3, PI-06)", "(1-65535)", "(= 1, ...)", "(one of: a, b)"): the
// README's values table shows it, and the schema holds exactly it, no more, no fewer.
func TestEveryBoundOfAValueIsTheOneItsCommentStates(t *testing.T) {
	t.Parallel()
	bounds := boundsOf(t)
	require.NotEmpty(t, bounds)
	keys := make([]string, 0, len(bounds))
	for k := range bounds {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	stated := 0
	for _, k := range keys {
		b := bounds[k]
		if b[0].String() != "" {
			stated++
		}
		assert.Equal(t, b[0].String(), b[1].String(), "%s: values.yaml's comment states [%s], values.schema.json holds [%s]", k, b[0], b[1])
	}
	assert.Greater(t, stated, 40, "the comments state the bounds")
}

// PI-06's floors are stated on their keys, and the invariants package and the chart's
// guard hold the same number: a custom probe (which the schema does not bound) one below
// the floor is refused naming PI-06, one at the floor renders.
func TestPI06FloorsAreHeldWhereTheyAreStated(t *testing.T) {
	t.Parallel()
	bounds := boundsOf(t)
	for _, kind := range []string{"readiness", "liveness"} {
		for _, c := range []struct {
			field string
			floor int
		}{{"timeoutSeconds", invariants.MinTimeoutSeconds}, {"failureThreshold", invariants.MinFailureThreshold}} {
			key := "probes." + kind + "." + c.field
			stated := bounds[key][0]
			require.NotNil(t, stated.Min, "%s states no floor", key)
			assert.Equal(t, float64(c.floor), *stated.Min, "%s: values.yaml states %v, the invariants package holds %d", key, *stated.Min, c.floor)

			custom := func(v int) string {
				// Periods that keep PI-07 (liveness slower than readiness) out of the way.
				fields := map[string]int{"periodSeconds": map[string]int{"readiness": 10, "liveness": 30}[kind], "timeoutSeconds": 5, "failureThreshold": 5}
				fields[c.field] = v
				path := map[string]string{"readiness": "/health/ready", "liveness": "/health/live"}[kind]
				return fmt.Sprintf("probes:\n  %s:\n    custom: {httpGet: {path: %s, port: health}, periodSeconds: %d, timeoutSeconds: %d, failureThreshold: %d}\n",
					kind, path, fields["periodSeconds"], fields["timeoutSeconds"], fields["failureThreshold"])
			}
			_, err := renderInProcess(t, []string{writeValues(t, "below.yaml", custom(c.floor-1))}, nil)
			if assert.Error(t, err, "%s = %d in a custom probe renders", key, c.floor-1) {
				assert.Contains(t, err.Error(), fmt.Sprintf("PI-06: %s must be >= %d", key, c.floor))
			}
			_, err = renderInProcess(t, []string{writeValues(t, "at.yaml", custom(c.floor))}, nil)
			assert.NoError(t, err, "%s = %d in a custom probe", key, c.floor)
		}
	}
}
