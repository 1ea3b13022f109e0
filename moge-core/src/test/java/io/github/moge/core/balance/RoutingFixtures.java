package io.github.moge.core.balance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.moge.core.routing.RoutingResult;

/**
 * Builds RoutingResults directly from arrays, the way a vision router would (softmax then top-k).
 */
final class RoutingFixtures {

    private RoutingFixtures() {}

    /**
     * Routing with noisy logits = logits + noise, z = softmax(logits), experts = top-k of noisy
     * logits.
     */
    static RoutingResult route(NDArray logits, NDArray noise, int k) {
        NDArray noisy = noise == null ? logits : logits.add(noise);
        NDArray z = logits.softmax(1);
        NDList top = noisy.topK(k, 1, true, true);
        NDArray experts = top.get(1);
        NDArray weights = z.gather(experts, 1);
        return new RoutingResult(logits, noisy, z, weights, experts);
    }

    /** Routing with explicitly given z and experts (logits = log z, no noise). */
    static RoutingResult routeGiven(NDManager m, double[][] z, long[][] experts) {
        NDArray zz = m.create(z);
        NDArray logits = zz.log();
        NDArray ex = m.create(experts);
        return new RoutingResult(logits, logits, zz, zz.gather(ex, 1), ex);
    }

    static double[][] softmax(double[][] h) {
        double[][] z = new double[h.length][];
        for (int t = 0; t < h.length; t++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : h[t]) {
                max = Math.max(max, v);
            }
            double s = 0;
            z[t] = new double[h[t].length];
            for (int i = 0; i < h[t].length; i++) {
                z[t][i] = Math.exp(h[t][i] - max);
                s += z[t][i];
            }
            for (int i = 0; i < h[t].length; i++) {
                z[t][i] /= s;
            }
        }
        return z;
    }

    /** (std/mean)^2 with the unbiased std and the 1e-10 guard, in doubles. */
    static double cv2(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= v.length;
        double var = 0;
        for (double x : v) {
            var += (x - mean) * (x - mean);
        }
        var /= v.length - 1;
        return var / (mean * mean + 1e-10);
    }
}
