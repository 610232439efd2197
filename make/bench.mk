# Benchmarks users can choose by (docs/BENCHMARKS.md): probe behaviour in the cluster for
# the probe configurations side by side (and the stop, in the upgrades), probe cost,
# amplification, test speed. Figures only, never asserts; every part writes its raw JSON
# results under docs/benchmarks/results/ (committed, so each figure can be traced), and
# cmd/bench/benchreport turns whatever is there into docs/BENCHMARKS.md.
BENCH_REPS      ?= 3
# In-cluster scenarios draw their start-ups and fault instants at random phases of the
# probe schedule, BENCH_DRAWS times per cell (seeded: BENCH_SEED repeats a run's draws;
# empty takes the clock's and prints it). 260 namespaces (7 scenarios x 3 configurations,
# 3 faults x liveness on ready, 2 upgrades x the old stop; x 10 draws) run this many at
# a time.
BENCH_DRAWS     ?= 10
BENCH_SEED      ?=
BENCH_PARALLEL  ?= 24
BENCH_RUN       ?= .
BENCH_OUT       := $(CURDIR)/.cache/artifacts
BENCH_PICTURES  := docs/benchmarks

.PHONY: bench bench-cluster bench-probes bench-speed bench-cold-ci bench-report pictures

BENCH_RESULTS   := $(CURDIR)/docs/benchmarks/results
# One line per part: when it started and the load average then, for the report.
BENCH_LOAD       = mkdir -p $(BENCH_RESULTS) && echo "$$(date -u +%FT%TZ) $@$(if $(filter-out .,$(BENCH_RUN)), BENCH_RUN=$(BENCH_RUN)): $$(cut -d' ' -f1-3 /proc/loadavg)" >> $(BENCH_RESULTS)/load.txt

bench: ## every benchmark, then docs/BENCHMARKS.md, its pictures and the README's key figures (about 55 min on 2 cores: cluster 31 with 10 draws, probes 7, speed 14)
	rm -f $(BENCH_RESULTS)/load.txt
	$(MAKE) --no-print-directory bench-cluster bench-probes bench-speed
	$(MAKE) --no-print-directory bench-report

bench-cluster: cluster-ensure $(HELM) package ## in-cluster: chart defaults vs values/seed-article.yaml vs naive probes (liveness on ready in the faults, the old stop in the upgrades), BENCH_DRAWS random phases of every scenario
	@$(BENCH_LOAD)
	# A whole run starts clean; a run of some scenarios (BENCH_RUN) overwrites only theirs.
	$(if $(filter .,$(BENCH_RUN)),rm -rf $(BENCH_RESULTS)/in-cluster $(BENCH_OUT)/timelines/TestBenchInCluster__*)
	$(GO_TEST) -c -tags bench -ldflags='-s -w' -o $(BIN)/bench.test ./test/deploy
	go build -o $(BIN)/naiveprobes ./cmd/bench/naiveprobes
	go build -o $(BIN)/chartmutant ./cmd/chartmutant
	$(DEPLOY_PREFETCH)
	cd test/deploy && $(SUITE_ENV) KOTAEMON_CHART_ARCHIVE=$(CHART_ARCHIVE) $(KUBE_EXEC) $(BIN)/bench.test -test.v -test.count=1 -test.timeout=150m \
		-test.parallel=$(BENCH_PARALLEL) -test.run='^TestBenchInCluster$$/$(BENCH_RUN)' -bench.draws=$(BENCH_DRAWS) $(if $(BENCH_SEED),-bench.seed=$(BENCH_SEED)) \
		-bench.naiveprobes=$(BIN)/naiveprobes -bench.chartmutant=$(BIN)/chartmutant -bench.results=$(BENCH_RESULTS)/in-cluster

pictures: ## one SVG (and PNG where rsvg-convert is installed) per timeline in .cache/artifacts/timelines, into .cache/artifacts/pictures
	go run ./cmd/bench/pictures -in $(BENCH_OUT)/timelines -out $(BENCH_OUT)/pictures

bench-probes: build-agent ## probe cost (agent vs exec probe vs the app) and amplification (agent vs pass-through), on loopback
	@$(BENCH_LOAD)
	rm -rf $(BENCH_RESULTS)/probes
	go run ./cmd/bench/agentbench -agent $(AGENT_BIN) -sweep=false -compare -repeat $(BENCH_REPS) \
		-window 60s -amplification-repeat $(BENCH_REPS) -results $(BENCH_RESULTS)/probes

BENCHTIME = go run ./cmd/bench/benchtime -results $(BENCH_RESULTS)/speed

bench-speed: $(HELM) cluster-ensure ## renders/s (terratest vs helm SDK), make test-render and make test-deploy wall times, warm
	@$(BENCH_LOAD)
	rm -rf $(BENCH_RESULTS)/speed
	$(BENCHTIME) -scenario renders -gobench -- env $(SUITE_ENV) go test -run '^$$' -bench '^BenchmarkRender$$' -benchtime 20x -count $(BENCH_REPS) ./test/render
	$(MAKE) --no-print-directory test-render test-deploy # warm the caches first: the figures are warm runs
	$(BENCHTIME) -scenario test-render -config warm -reps $(BENCH_REPS) -- $(MAKE) --no-print-directory test-render
	$(BENCHTIME) -scenario test-deploy -config warm -reps $(BENCH_REPS) -- $(MAKE) --no-print-directory test-deploy

# A cold CI run: a fresh clone of HEAD, empty Go, cluster-component and image caches (in a
# temporary directory), then `bash .ci/run`. Takes about 25 min on 2 cores; not part of
# `make bench`. Stop the embedded cluster of this clone first (make cluster-down).
bench-cold-ci: ## `bash .ci/run` from a cold machine, timed once, into the benchmarks' results
	@$(BENCH_LOAD)
	cold=$$(mktemp -d) && trap 'rm -rf "$$cold"' EXIT && git clone -q . "$$cold/clone" && \
	env GOCACHE="$$cold/gocache" GOMODCACHE="$$cold/gomodcache" XDG_CACHE_HOME="$$cold/xdg" \
		KOTAEMON_CLUSTER_CACHE="$$cold/cluster" KOTAEMON_IMAGE_CACHE="$$cold/images" \
		$(BENCHTIME) -scenario ci -config cold -reps 1 -- bash "$$cold/clone/.ci/run"

bench-report: ## docs/BENCHMARKS.md, its pictures (docs/benchmarks/) and the README's key figures, from the results in docs/benchmarks/results
	rm -f $(BENCH_PICTURES)/*.svg $(BENCH_PICTURES)/*.png
	go run ./cmd/bench/pictures -png=false -in $(BENCH_OUT)/timelines -out $(BENCH_PICTURES) -match '^TestBenchInCluster__.*__1$$'
	go run ./cmd/bench/benchreport -in $(BENCH_RESULTS) -out docs/BENCHMARKS.md -readme README.md -pictures benchmarks -load $(BENCH_RESULTS)/load.txt
