#!/bin/sh
# Rebuilds the demo model from WordNet: corpus, tokens, training in three stages, GGUF export. Run
# from the repository root after tools/demo-model/README.md's apt-get line. On one thread of a
# shared 2-core machine: stage 1 (14 epochs, "What is X?" only) and stage 2 (16 more epochs at a
# lower peak learning rate) about 75 minutes; stage 3 (26 epochs on seven phrasings, one picked per
# noun per epoch, starting from stage 2's Q8_0 file read back, as the shipped model was made) about
# 55 minutes.
set -eu
BUILD=tools/demo-model/build
EPOCHS=${EPOCHS:-14}
MORE_EPOCHS=${MORE_EPOCHS:-16}
PHRASING_EPOCHS=${PHRASING_EPOCHS:-26}
PHRASING_LEARNING_RATE=${PHRASING_LEARNING_RATE:-1e-3}
PY=/usr/bin/python3
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"

$PY tools/demo-model/build_corpus.py "$BUILD"
cp "$BUILD/heldout-sample.tsv" "$BUILD/trained-sample.tsv" "$BUILD/phrasings-sample.tsv" src/test/resources/demo/

mvn -B -ntp -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
CP="target/classes:target/test-classes:$(cat target/cp.txt)"
java -cp "$CP" io.llmswarm.demo.TokenizeCorpus "$BUILD/train.tsv" "$BUILD/train.bin"
BINS=""
for k in 0 1 2 3 4 5 6; do
    java -cp "$CP" io.llmswarm.demo.TokenizeCorpus "$BUILD/train-p$k.tsv" "$BUILD/train-p$k.bin"
    BINS="$BINS${BINS:+,}$BUILD/train-p$k.bin"
done

rm -rf "$BUILD/run" "$BUILD/run2" "$BUILD/run3"
$PY tools/demo-model/train.py "$BUILD/train.bin" "$BUILD/run" "$EPOCHS"
cp "$BUILD/run/checkpoint.pt" "$BUILD/stage1-checkpoint.pt"
$PY tools/demo-model/train.py "$BUILD/train.bin" "$BUILD/run2" "$MORE_EPOCHS" "$BUILD/stage1-checkpoint.pt"
$PY tools/demo-model/export_weights.py "$BUILD/run2/checkpoint.pt" "$BUILD/weights2"
java --add-modules jdk.incubator.vector -cp "$CP" io.llmswarm.demo.ExportGguf "$BUILD/weights2" \
    "$BUILD/stage2-f32.gguf" "$BUILD/stage2-q8_0.gguf"
# Stage 3 starts from the stage-2 model's Q8_0 file read back (the F32 checkpoint of the first
# release was not kept, so the shipped model was fine-tuned from its Q8_0 file; this repeats that).
$PY tools/demo-model/gguf_to_checkpoint.py "$BUILD/stage2-q8_0.gguf" "$BUILD/stage2-q8_0.pt" "$(($EPOCHS + $MORE_EPOCHS))"
$PY tools/demo-model/train.py "$BINS" "$BUILD/run3" "$PHRASING_EPOCHS" "$BUILD/stage2-q8_0.pt" "$PHRASING_LEARNING_RATE"
$PY tools/demo-model/export_weights.py "$BUILD/run3/checkpoint.pt" "$BUILD/weights"
java --add-modules jdk.incubator.vector -cp "$CP" io.llmswarm.demo.ExportGguf "$BUILD/weights" \
    "$BUILD/demo-wordnet-f32.gguf" src/main/resources/models/demo-wordnet-q8_0.gguf
