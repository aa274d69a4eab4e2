# Sluice: make run | make test | make bench
JAR := target/sluice.jar
MVN ?= mvn -B -q
GIT_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
SOURCES := $(shell find src/main -type f 2>/dev/null) pom.xml
JAVA ?= java
# Hazelcast on Java 17 (the jar manifest carries the same Add-Opens; explicit here for other launchers).
HZ_OPTS := --add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED \
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
  --add-opens java.management/sun.management=ALL-UNNAMED \
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
ECHO_PORT ?= 8070

.PHONY: build run test bench clean cluster cluster-stop

build: $(JAR)

$(JAR): $(SOURCES)
	$(MVN) -DskipTests -Dgit.commit=$(GIT_COMMIT) package

## run: one node on 8080 (admin on 127.0.0.1:9001) and the demo echo upstream on $(ECHO_PORT); needs only a JDK
## and Maven: conf/sluice.yaml's pg.url auto uses this machine's PostgreSQL (creating the database sluice) or,
## when none answers on 127.0.0.1:5432, starts an embedded one (SLUICE_PG_URL=embedded make run: always)
run: $(JAR)
	@$(JAVA) $(HZ_OPTS) -jar $(JAR) echo --port $(ECHO_PORT) & echo_pid=$$!; \
	trap 'kill $$echo_pid 2>/dev/null' EXIT INT TERM; \
	$(JAVA) $(HZ_OPTS) -jar $(JAR) run --config conf/sluice.yaml

## test: the whole suite (what CI runs); the browser test of examples/stream.html needs examples/test's npm packages
test: examples/test/node_modules/.package-lock.json
	mvn -B -ntp -Dgit.commit=$(GIT_COMMIT) verify

examples/test/node_modules/.package-lock.json: examples/test/package.json examples/test/package-lock.json
	cd examples/test && npm ci --no-audit --no-fund

## bench: wrk against the upstream, Sluice and nginx, side by side; tracing off vs on at 1% sampling (two nodes, then
## one node toggled at runtime); then cluster propagation (3 nodes; again with PostgreSQL pinned to a core of its own), changes
## under load at 10,000 routes, memory and start over a million consumers, and the access stream's latency and cost. Figures go to target/bench/ (untracked); RECORD=1 appends them to
## bench/RESULTS.md.
BENCH_OUT ?= target/bench
bench: $(JAR)
	@rm -f $(BENCH_OUT)/proxy.md $(BENCH_OUT)/tracing.md $(BENCH_OUT)/tracing-toggle.md $(BENCH_OUT)/propagation.md $(BENCH_OUT)/propagation-pg-core.md $(BENCH_OUT)/hitless.md $(BENCH_OUT)/scale.md $(BENCH_OUT)/stream.md $(BENCH_OUT)/h2.md
	BENCH_OUT="$(BENCH_OUT)" bench/run.sh
	BENCH_OUT="$(BENCH_OUT)" JAVA="$(JAVA)" bench/tracing.sh
	BENCH_OUT="$(BENCH_OUT)" JAVA="$(JAVA)" BENCH_TOGGLE=1 BENCH_PIN=1 BENCH_WARMUP=60 BENCH_ROUNDS=50 bench/tracing.sh
	BENCH_OUT="$(BENCH_OUT)" JAVA="$(JAVA)" HZ_OPTS="$(HZ_OPTS)" bench/propagation.sh
	BENCH_OUT="$(BENCH_OUT)" JAVA="$(JAVA)" HZ_OPTS="$(HZ_OPTS)" BENCH_PG_CORE=0 bench/propagation.sh
	BENCH_OUT="$(BENCH_OUT)" JAVA="$(JAVA)" HZ_OPTS="$(HZ_OPTS)" bench/hitless.sh
	BENCH_OUT="$(BENCH_OUT)" JAVA="$(JAVA)" HZ_OPTS="$(HZ_OPTS)" bench/scale.sh
	BENCH_OUT="$(BENCH_OUT)" bench/stream.sh
	BENCH_OUT="$(BENCH_OUT)" JAVA="$(JAVA)" bench/h2.sh
	@if [ "$(RECORD)" = 1 ]; then BENCH_OUT="$(BENCH_OUT)" bench/record.sh; \
	else echo "figures in $(BENCH_OUT)/ (make bench RECORD=1 appends them to bench/RESULTS.md)"; fi

## cluster: three nodes on this machine (proxy 8081-8083, admin 9101-9103, stream 9201-9203), one cluster
cluster: $(JAR)
	JAVA="$(JAVA)" HZ_OPTS="$(HZ_OPTS)" scripts/cluster.sh start

cluster-stop:
	scripts/cluster.sh stop

clean:
	$(MVN) clean
