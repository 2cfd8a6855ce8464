#!/bin/sh
# Rebuilds the demo model from WordNet: corpus, tokens, training in two stages (14 epochs, then 16
# more from that checkpoint at a lower peak learning rate; about 75 minutes on one thread of a
# shared 2-core machine), GGUF export. Run from the repository root after tools/demo-model/README.md's apt-get line.
set -eu
BUILD=tools/demo-model/build
EPOCHS=${EPOCHS:-14}
MORE_EPOCHS=${MORE_EPOCHS:-16}
PY=/usr/bin/python3
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"

$PY tools/demo-model/build_corpus.py "$BUILD"
cp "$BUILD/heldout-sample.tsv" "$BUILD/trained-sample.tsv" src/test/resources/demo/

mvn -B -ntp -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
CP="target/classes:target/test-classes:$(cat target/cp.txt)"
java -cp "$CP" io.llmswarm.demo.TokenizeCorpus "$BUILD/train.tsv" "$BUILD/train.bin"

rm -rf "$BUILD/run" "$BUILD/run2"
$PY tools/demo-model/train.py "$BUILD/train.bin" "$BUILD/run" "$EPOCHS"
cp "$BUILD/run/checkpoint.pt" "$BUILD/stage1-checkpoint.pt"
$PY tools/demo-model/train.py "$BUILD/train.bin" "$BUILD/run2" "$MORE_EPOCHS" "$BUILD/stage1-checkpoint.pt"
$PY tools/demo-model/export_weights.py "$BUILD/run2/checkpoint.pt" "$BUILD/weights"
java --add-modules jdk.incubator.vector -cp "$CP" io.llmswarm.demo.ExportGguf "$BUILD/weights" \
    "$BUILD/demo-wordnet-f32.gguf" src/main/resources/models/demo-wordnet-q8_0.gguf
