package main

// Part 4: how long the test suites take, warm and cold.

import (
	"bytes"
	"fmt"

	"kotaemon-k8s/bench/results"
)

func testSpeed(b *bytes.Buffer, rs []results.Result) {
	b.WriteString(`## 4. Test speed

Repeat: ` + "`make bench-speed`" + ` (warm caches, the embedded cluster up); the cold run: ` + "`make bench-cold-ci`" + `.

| what | figure |
|---|---|
`)
	tt := collect(rs, "test-speed", "renders", "terratest", "perSecond")
	sdk := collect(rs, "test-speed", "renders", "sdk", "perSecond")
	fmt.Fprintf(b, "| renders per second, terratest (one helm process per render), dev values | %s |\n", tt.format(rate))
	fmt.Fprintf(b, "| renders per second, helm SDK in-process | %s (%s terratest's) |\n", sdk.format(rate), ratio(sdk, tt))
	fmt.Fprintf(b, "| `make test-render`, warm | %s |\n", collect(rs, "test-speed", "test-render", "warm", "wallSeconds").format(minutes))
	fmt.Fprintf(b, "| `make test-deploy` (the deploy suite), warm | %s |\n", collect(rs, "test-speed", "test-deploy", "warm", "wallSeconds").format(minutes))
	fmt.Fprintf(b, "| `bash .ci/run` on a fresh clone, cold (empty Go, cluster-component and image caches) | %s |\n", collect(rs, "test-speed", "ci", "cold", "wallSeconds").format(minutes))
	b.WriteString("\n")
}
