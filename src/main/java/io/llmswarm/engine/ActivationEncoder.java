package io.llmswarm.engine;

import io.llmswarm.engine.tensor.ActivationBatch;
import io.llmswarm.engine.tensor.ActivationFormat;
import io.llmswarm.engine.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.List;

/**
 * Encodes one input (rows of floats) into the activation format each weight matrix wants, once
 * per format, reusing buffers: Q, K and V (or gate and up) share one encoding.
 */
final class ActivationEncoder {

    private final int maxRows;
    private final List<Slot> slots = new ArrayList<>();
    private float[] source;
    private int rows;
    private int cols;
    private int generation;

    ActivationEncoder(int maxRows) {
        this.maxRows = maxRows;
    }

    void set(float[] source, int rows, int cols) {
        this.source = source;
        this.rows = rows;
        this.cols = cols;
        this.generation++;
    }

    ActivationBatch forMatrix(WeightMatrix matrix) {
        if (matrix.cols() != cols) {
            throw new IllegalStateException("matrix takes " + matrix.cols() + " inputs; encoded rows have " + cols);
        }
        ActivationFormat format = matrix.activationFormat();
        for (Slot slot : slots) {
            if (slot.format == format && slot.batch.cols() == cols) {
                if (slot.generation != generation) {
                    slot.batch.encode(source, 0, rows);
                    slot.generation = generation;
                }
                return slot.batch;
            }
        }
        Slot slot = new Slot(format, new ActivationBatch(format, maxRows, cols));
        slot.batch.encode(source, 0, rows);
        slot.generation = generation;
        slots.add(slot);
        return slot.batch;
    }

    private static final class Slot {
        final ActivationFormat format;
        final ActivationBatch batch;
        int generation;

        Slot(ActivationFormat format, ActivationBatch batch) {
            this.format = format;
            this.batch = batch;
        }
    }
}
