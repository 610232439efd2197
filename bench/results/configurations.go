package results

// Configuration is one in-cluster configuration as every reader names it (the report,
// the pictures): its name in the results, its letter and its title.
type Configuration struct{ Name, Letter, Title string }

// Label is the letter and the title: "(a) this chart's defaults".
func (c Configuration) Label() string { return c.Letter + " " + c.Title }

// InCluster are the in-cluster configurations, in the report's column order.
var InCluster = []Configuration{
	{"chart", "(a)", "this chart's defaults"},
	{"seed-article", "(b)", "the classic configuration"},
	{"naive", "(c)", "naive probes"},
	{"liveness-on-ready", "(d)", "liveness on the ready endpoint"},
	{"stop-as-before", "(e)", "the stop before answers were awaited"},
}

// ConfigurationNamed is the configuration called name; its title is the name itself when
// it is not one of InCluster.
func ConfigurationNamed(name string) Configuration {
	for _, c := range InCluster {
		if c.Name == name {
			return c
		}
	}
	return Configuration{Name: name, Title: name}
}
