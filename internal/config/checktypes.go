package config

// CheckType is one kind of dependency check and the optional keys it reads. It is the
// one home of that rule: the loader refuses a key its type does not read, and the
// chart's schema enum and guards are tied to this table by the render suite.
type CheckType struct {
	Name string
	// Keys a check of this type reads besides name, type, critical, interval and
	// timeout. "url" is required wherever it is read; Required lists the others.
	Keys     []string
	Required []string
}

// CheckTypeTable lists every check type, in the contract's order (docs/agent-config.md).
var CheckTypeTable = []CheckType{
	{Name: TypeOllama, Keys: []string{"url", "model", "headers"}},
	{Name: TypeOpenAI, Keys: []string{"url", "model", "apiKey", "headers"}},
	{Name: TypeQdrant, Keys: []string{"url", "apiKey", "headers"}},
	{Name: TypeElasticsearch, Keys: []string{"url", "headers"}},
	{Name: TypeMilvus, Keys: []string{"url", "headers"}},
	{Name: TypeChroma, Keys: []string{"url", "headers"}},
	{Name: TypeTEI, Keys: []string{"url", "headers"}},
	{Name: TypeHTTP, Keys: []string{"url", "path", "expectedStatus", "headers"}},
	{Name: TypeTCP, Keys: []string{"address"}, Required: []string{"address"}},
	{Name: TypeDisk, Keys: []string{"path", "minFreeBytes"}, Required: []string{"path"}},
	{Name: TypeGenerate, Keys: []string{"url", "model", "apiKey", "headers", "provider"}, Required: []string{"model"}}, // provider: openai or ollama, checked with its form
}

// CheckKeys are every optional key of a check, in the contract's order.
var CheckKeys = []string{"url", "address", "model", "path", "minFreeBytes", "expectedStatus", "provider", "apiKey", "headers"}

// CheckTypes lists every accepted check type, in the contract's order.
var CheckTypes = func() []string {
	out := make([]string, len(CheckTypeTable))
	for i, t := range CheckTypeTable {
		out[i] = t.Name
	}
	return out
}()

// checkType finds a type's table row.
func checkType(name string) (CheckType, bool) {
	for _, t := range CheckTypeTable {
		if t.Name == name {
			return t, true
		}
	}
	return CheckType{}, false
}

// Reads reports whether checks of this type read key.
func (t CheckType) Reads(key string) bool {
	for _, k := range t.Keys {
		if k == key {
			return true
		}
	}
	return false
}
