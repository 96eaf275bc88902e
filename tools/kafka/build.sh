#!/usr/bin/env bash
# Apache Kafka (broker in KRaft mode) from Maven Central jars, pinned by pom.xml, for the ONAP SMO plugin's tests
# (tests/smo/kafka_harness.py starts a single-node broker from it).
#
#   tools/kafka/build.sh    fetch the broker's runtime jars into the machine-level cache once; print the libs folder
#
# The cache lives outside the repository (${NETWEAVE_CACHE:-/root/.cache/netweave}/backends/kafka-<version>/libs) so
# CI on this machine reuses it; on a fresh machine the first call downloads about 54 MB from Maven Central.
set -euo pipefail
cd "$(dirname "$0")"
VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' pom.xml)"
[[ -n "$VERSION" ]] || { echo "kafka build: no kafka.version in pom.xml" >&2; exit 1; }
CACHE="${NETWEAVE_CACHE:-/root/.cache/netweave}/backends/kafka-${VERSION}"
LIBS="$CACHE/libs"

die() { echo "kafka build: $*" >&2; exit 1; }

if [[ ! -f "$LIBS/.complete" ]]; then
  mkdir -p "$CACHE"
  exec 9>"$CACHE/build.lock"
  flock 9  # two test sessions on a fresh machine: the second waits for the first one's download
  if [[ ! -f "$LIBS/.complete" ]]; then
    command -v mvn >/dev/null || die "Maven not found (apt-get install maven)"
    command -v java >/dev/null || die "Java not found (apt-get install openjdk-17-jre-headless)"
    echo "fetching Kafka ${VERSION} jars into ${LIBS} (first time only)" >&2
    started=$SECONDS
    rm -rf "$LIBS.partial"
    mvn -q -B -f pom.xml dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS.partial" \
      || die "mvn dependency:copy-dependencies failed (see above)"
    rm -rf "$LIBS"
    mv "$LIBS.partial" "$LIBS"
    touch "$LIBS/.complete"
    echo "Kafka jars fetched in $((SECONDS - started))s" >&2
  fi
fi
echo "$LIBS"
