package io.github.moge.core.dispatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.moge.core.experts.StackedExperts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TokenDispatcherTest {

    /** A routing decision generated in Java: distinct experts per token, weights descending. */
    private static final class Routing {
        final long[][] experts;
        final float[][] weights;

        Routing(long[][] experts, float[][] weights) {
            this.experts = experts;
            this.weights = weights;
        }

        int n() {
            return experts.length;
        }

        int k() {
            return experts[0].length;
        }

        NDArray expertsArray(NDManager m) {
            return m.create(
                    Arrays.stream(experts).flatMapToLong(Arrays::stream).toArray(),
                    new Shape(n(), k()));
        }

        NDArray weightsArray(NDManager m) {
            float[] flat = new float[n() * k()];
            for (int t = 0; t < n(); t++) {
                System.arraycopy(weights[t], 0, flat, t * k(), k());
            }
            return m.create(flat, new Shape(n(), k()));
        }
    }

    /** Random routing where experts are skewed (some overflow) and top weights are distinct. */
    private static Routing randomRouting(Random rnd, int n, int e, int k) {
        long[][] experts = new long[n][k];
        float[][] weights = new float[n][k];
        for (int t = 0; t < n; t++) {
            // Skew: expert 0 and 1 are popular so that capacity actually binds.
            Integer[] perm = IntStream.range(0, e).boxed().toArray(Integer[]::new);
            double[] keys = new double[e];
            for (int i = 0; i < e; i++) {
                keys[i] = rnd.nextDouble() + (i < 2 ? 0.6 : 0.0);
            }
            Arrays.sort(perm, Comparator.comparingDouble(i -> -keys[i]));
            float remaining = 1f;
            for (int j = 0; j < k; j++) {
                experts[t][j] = perm[j];
                // Weights strictly decreasing within a row; random across rows (ties practically
                // impossible).
                float w = remaining * (0.5f + 0.49f * rnd.nextFloat());
                weights[t][j] = w;
                remaining -= w;
            }
        }
        return new Routing(experts, weights);
    }

    /**
     * The BPR / token-order keep rule with plain loops: rank, choice-major, per-expert counters.
     */
    private static boolean[][] naiveKept(Routing r, int e, int capacity, boolean bpr) {
        int n = r.n();
        int k = r.k();
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        if (bpr) {
            Arrays.sort(order, Comparator.comparingDouble(t -> -r.weights[t][0])); // stable
        }
        int[] counters = new int[e];
        boolean[][] kept = new boolean[n][k];
        for (int j = 0; j < k; j++) {
            for (int t : order) {
                int ex = (int) r.experts[t][j];
                if (counters[ex] < capacity) {
                    kept[t][j] = true;
                    counters[ex]++;
                }
            }
        }
        return kept;
    }

    private static int maxLoad(Routing r, int e) {
        int[] counts = new int[e];
        for (long[] row : r.experts) {
            for (long ex : row) {
                counts[(int) ex]++;
            }
        }
        return Arrays.stream(counts).max().getAsInt();
    }

    private static boolean[][] toBool(NDArray kept, int n, int k) {
        boolean[] flat = kept.toBooleanArray();
        boolean[][] out = new boolean[n][k];
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < k; j++) {
                out[t][j] = flat[t * k + j];
            }
        }
        return out;
    }

    @Test
    void capacityFormula() {
        assertEquals(26, TokenDispatcher.capacity(100, 8, 2, 1.0f)); // 2 * ceil(12.5)
        assertEquals(7, TokenDispatcher.capacity(50, 4, 1, 0.5f)); // ceil(6.25)
        assertEquals(512, TokenDispatcher.capacity(4096, 32, 1, 4f));
        assertEquals(2, TokenDispatcher.capacity(3, 2, 2, 0.5f)); // 2 * ceil(0.75)
        assertEquals(0, TokenDispatcher.capacity(0, 4, 1, 1f));
        IllegalArgumentException ex =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TokenDispatcher.capacity(10, 4, 1, 0f));
        assertTrue(ex.getMessage().contains("capacityFactor"));
        ex =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TokenDispatcher.capacity(10, 0, 1, 1f));
        assertTrue(ex.getMessage().contains("numExperts"));
        ex =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TokenDispatcher.capacity(10, 4, 5, 1f));
        assertTrue(ex.getMessage().contains("topK"));
        ex =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TokenDispatcher.builder().optCapacityFactor(Float.NaN).build());
        assertTrue(ex.getMessage().contains("capacityFactor"));
    }

    @Test
    void choiceMajorHandExample() {
        // t0 -> [e0, e1] (0.9), t1 -> [e0, e1] (0.8), t2 -> [e1, e0] (0.7); capacity 2 * ceil(0.5 *
        // 3 / 2) = 2.
        // First choices: e0 <- t0, t1; e1 <- t2. Second choices: e1 <- t0 (fits), t1 (dropped); e0
        // <- t2 (dropped).
        Routing r =
                new Routing(
                        new long[][] {{0, 1}, {0, 1}, {1, 0}},
                        new float[][] {{0.9f, 0.1f}, {0.8f, 0.2f}, {0.7f, 0.3f}});
        try (NDManager m = NDManager.newBaseManager()) {
            TokenDispatcher dispatcher = TokenDispatcher.builder().optCapacityFactor(0.5f).build();
            DispatchPlan plan = dispatcher.plan(r.expertsArray(m), r.weightsArray(m), 2);
            assertEquals(2, plan.getCapacity());
            assertArrayEquals(
                    new boolean[] {true, true, true, false, true, false},
                    plan.getKept().toBooleanArray());
            assertArrayEquals(new long[] {0, 1, 2, 0}, plan.getSlotTokens().toLongArray());
            assertArrayEquals(new long[] {0, 3, 1, 4, 2, 4}, plan.getPairSlots().toLongArray());
            assertArrayEquals(new long[] {3, 3}, plan.requestsPerExpert().toLongArray());
            assertArrayEquals(new long[] {2, 2}, plan.tokensPerExpert().toLongArray());
            assertEquals(2f / 6f, plan.droppedFraction().getFloat(), 1e-7f);
            assertEquals(DataType.INT64, plan.getSlotTokens().getDataType());
            assertEquals(DataType.INT64, plan.getPairSlots().getDataType());
            assertEquals(DataType.BOOLEAN, plan.getKept().getDataType());

            // Dispatch reads token rows; combine sums the weighted kept outputs.
            NDArray x = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(3, 2));
            NDArray slots = dispatcher.dispatch(x, plan);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 1, 2}, slots.toFloatArray());
            NDArray y = dispatcher.combine(slots, r.weightsArray(m), plan);
            // t0: 0.9 * x0 + 0.1 * x0; t1: 0.8 * x1; t2: 0.7 * x2.
            assertArrayEquals(
                    new float[] {1f, 2f, 0.8f * 3, 0.8f * 4, 0.7f * 5, 0.7f * 6},
                    y.toFloatArray(),
                    1e-6f);
        }
    }

    @Test
    void overflowKeepsHighestWeightWithBprAndEarliestWithout() {
        // Six tokens all choose expert 0 of 2; capacity = ceil(0.5 * 6 / 2) = 2.
        float[] top = {0.3f, 0.9f, 0.5f, 0.95f, 0.1f, 0.6f};
        long[][] experts = new long[6][1];
        float[][] weights = new float[6][1];
        for (int t = 0; t < 6; t++) {
            weights[t][0] = top[t];
        }
        Routing r = new Routing(experts, weights);
        try (NDManager m = NDManager.newBaseManager()) {
            DispatchPlan bpr =
                    TokenDispatcher.builder()
                            .optCapacityFactor(0.5f)
                            .build()
                            .plan(r.expertsArray(m), r.weightsArray(m), 2);
            assertEquals(2, bpr.getCapacity());
            assertArrayEquals(
                    new boolean[] {false, true, false, true, false, false},
                    bpr.getKept().toBooleanArray());
            assertArrayEquals(new long[] {3, 1, 6, 6}, bpr.getSlotTokens().toLongArray());
            DispatchPlan plain =
                    TokenDispatcher.builder()
                            .optCapacityFactor(0.5f)
                            .optBatchPrioritized(false)
                            .build()
                            .plan(r.expertsArray(m), null, 2);
            assertArrayEquals(
                    new boolean[] {true, true, false, false, false, false},
                    plain.getKept().toBooleanArray());
            assertArrayEquals(new long[] {0, 1, 6, 6}, plain.getSlotTokens().toLongArray());
            assertEquals(4f / 6f, plain.droppedFraction().getFloat(), 1e-7f);
            DispatchPlan dropless =
                    TokenDispatcher.builder().build().plan(r.expertsArray(m), r.weightsArray(m), 2);
            assertEquals(6, dropless.getCapacity());
            assertEquals(0f, dropless.droppedFraction().getFloat(), 0f);
            assertArrayEquals(new long[] {6, 0}, dropless.tokensPerExpert().toLongArray());
        }
    }

    @Test
    void equalTopWeightsKeepTokenOrder() {
        // 40 tokens, all to expert 0 with the same top weight; capacity = ceil(0.5 * 40 / 2) = 10.
        // PyTorch's
        // sort scrambles equal keys, so this checks the explicit tie-break (lower token index
        // first).
        for (float value : new float[] {0.5f, 0f}) {
            long[][] experts = new long[40][1];
            float[][] weights = new float[40][1];
            for (int t = 0; t < 40; t++) {
                weights[t][0] = value;
            }
            // Two tokens with a higher weight still go first.
            weights[30][0] = 0.75f;
            weights[35][0] = 0.75f;
            Routing r = new Routing(experts, weights);
            try (NDManager m = NDManager.newBaseManager()) {
                DispatchPlan plan =
                        TokenDispatcher.builder()
                                .optCapacityFactor(0.5f)
                                .optExpertPath(TokenDispatcher.ExpertPath.PADDED)
                                .build()
                                .plan(r.expertsArray(m), r.weightsArray(m), 2);
                assertEquals(10, plan.getCapacity());
                long[] expected = {
                    30, 35, 0, 1, 2, 3, 4, 5, 6, 7, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40
                };
                assertArrayEquals(
                        expected, plan.getSlotTokens().toLongArray(), "top weight " + value);
            }
        }
    }

    @Test
    void matchesNaiveEveryExpertReference() {
        int checked = 0;
        int droppedSomewhere = 0;
        for (int seed = 0; seed < 3; seed++) {
            for (int e : new int[] {4, 8}) {
                for (int k : new int[] {1, 2}) {
                    for (float c : new float[] {0.5f, 1.0f, 0f}) {
                        for (boolean bpr : new boolean[] {true, false}) {
                            Random rnd = new Random(1000L * seed + 10 * e + k);
                            int n = 50 + rnd.nextInt(151);
                            int dropped = checkAgainstNaive(seed, rnd, n, e, k, c, bpr);
                            checked++;
                            if (dropped > 0) {
                                droppedSomewhere++;
                            }
                            if (c <= 0f) {
                                assertEquals(0, dropped, "dropless must keep every assignment");
                            }
                        }
                    }
                }
            }
        }
        assertEquals(72, checked);
        assertTrue(
                droppedSomewhere >= 24,
                "capacity factors 0.5 and 1.0 must force drops, got " + droppedSomewhere);
    }

    private int checkAgainstNaive(int seed, Random rnd, int n, int e, int k, float c, boolean bpr) {
        String label =
                "seed=" + seed + " n=" + n + " e=" + e + " k=" + k + " c=" + c + " bpr=" + bpr;
        Routing r = randomRouting(rnd, n, e, k);
        if (seed == 2) {
            // Many equal top weights: exercises the tie-break (token order) against the stable Java
            // sort.
            for (float[] row : r.weights) {
                row[0] = Math.round(row[0] * 8) / 8f;
            }
        }
        int d = 6;
        float[] xData = new float[n * d];
        for (int i = 0; i < xData.length; i++) {
            xData[i] = (float) rnd.nextGaussian();
        }
        int capacity = c > 0f ? TokenDispatcher.capacity(n, e, k, c) : maxLoad(r, e);
        boolean[][] expectedKept = naiveKept(r, e, capacity, bpr);
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(seed);
            StackedExperts experts =
                    StackedExperts.builder().setExperts(e).setHiddenSize(5).build();
            experts.initialize(m, DataType.FLOAT32, new Shape(e, 1, d));
            ParameterStore ps = new ParameterStore(m, false);
            // The padded grid, composed by hand; the loop below runs every path through forward.
            TokenDispatcher dispatcher =
                    TokenDispatcher.builder()
                            .optCapacityFactor(c)
                            .optBatchPrioritized(bpr)
                            .optExpertPath(TokenDispatcher.ExpertPath.PADDED)
                            .build();
            NDArray x = m.create(xData, new Shape(n, d));
            NDArray w = r.weightsArray(m);
            DispatchPlan plan = dispatcher.plan(r.expertsArray(m), w, e);
            assertEquals(capacity, plan.getCapacity(), label);
            boolean[][] kept = toBool(plan.getKept(), n, k);
            int dropped = 0;
            for (int t = 0; t < n; t++) {
                assertArrayEquals(expectedKept[t], kept[t], label + " token " + t);
                for (int j = 0; j < k; j++) {
                    dropped += kept[t][j] ? 0 : 1;
                }
            }
            assertEquals(
                    (float) dropped / (n * k), plan.droppedFraction().getFloat(), 1e-6f, label);
            assertEquals(n * k - dropped, plan.tokensPerExpert().sum().getLong(), label);

            float[] y =
                    dispatcher
                            .combine(
                                    experts.apply(
                                            ps,
                                            dispatcher.dispatch(x, plan),
                                            false,
                                            plan.getOccupiedExperts()),
                                    w,
                                    plan)
                            .toFloatArray();
            assertMatchesNaive(r, expectedKept, experts, ps, x, y, label);
            // Every path the dispatcher can take gives the same outputs.
            for (TokenDispatcher.ExpertPath path : TokenDispatcher.ExpertPath.values()) {
                TokenDispatcher other =
                        TokenDispatcher.builder()
                                .optCapacityFactor(c)
                                .optBatchPrioritized(bpr)
                                .optExpertPath(path)
                                .build();
                float[] yPath =
                        other.forward(x, w, other.plan(r.expertsArray(m), w, e), experts, ps, false)
                                .toFloatArray();
                assertMatchesNaive(r, expectedKept, experts, ps, x, yPath, label + " path=" + path);
            }
            return dropped;
        }
    }

    /** Naive: every expert on every token, then select and weight with loops. */
    private static void assertMatchesNaive(
            Routing r,
            boolean[][] kept,
            StackedExperts experts,
            ParameterStore ps,
            NDArray x,
            float[] y,
            String label) {
        int n = r.n();
        int k = r.k();
        int e = experts.getNumExperts();
        int d = (int) x.getShape().get(1);
        float[] full =
                experts.apply(ps, x.expandDims(0).repeat(0, e), false).toFloatArray(); // [E, N, d]
        for (int t = 0; t < n; t++) {
            for (int f = 0; f < d; f++) {
                double expected = 0;
                for (int j = 0; j < k; j++) {
                    if (kept[t][j]) {
                        int ex = (int) r.experts[t][j];
                        expected += r.weights[t][j] * full[(ex * n + t) * d + f];
                    }
                }
                assertEquals(expected, y[t * d + f], 1e-5, label + " y[" + t + "," + f + "]");
            }
        }
    }

    @Test
    void gradientsMatchAutogradNaiveReference() {
        for (float c : new float[] {0.5f, 1.0f, 0f}) {
            for (int k : new int[] {1, 2}) {
                for (TokenDispatcher.ExpertPath path : TokenDispatcher.ExpertPath.values()) {
                    checkGradients(randomRouting(new Random(42 + k), 60, 4, k), 4, c, path);
                }
            }
        }
    }

    /**
     * Skewed dropless routing on every path: one expert receiving almost every token (the others
     * mostly empty), a single token, and a single token with two choices; outputs and gradients
     * against the naive reference.
     */
    @Test
    void skewedDroplessRoutingOnEveryPath() {
        Random rnd = new Random(5);
        int e = 6;
        long[][] skewed = new long[40][1];
        float[][] skewedWeights = new float[40][1];
        for (int t = 0; t < 40; t++) {
            skewed[t][0] = t == 7 ? 4 : 2; // expert 2 gets 39 tokens, expert 4 one, the rest none
            skewedWeights[t][0] = 0.3f + 0.6f * rnd.nextFloat();
        }
        Routing[] cases = withSingleTokens(new Routing(skewed, skewedWeights));
        for (Routing r : cases) {
            for (TokenDispatcher.ExpertPath path : TokenDispatcher.ExpertPath.values()) {
                checkGradients(r, e, 0f, path);
                String label = "n=" + r.n() + " k=" + r.k() + " path=" + path;
                boolean[][] kept = naiveKept(r, e, maxLoad(r, e), true);
                try (NDManager m = NDManager.newBaseManager()) {
                    Engine.getInstance().setRandomSeed(3);
                    StackedExperts experts =
                            StackedExperts.builder().setExperts(e).setHiddenSize(5).build();
                    experts.initialize(m, DataType.FLOAT32, new Shape(e, 1, 4));
                    ParameterStore ps = new ParameterStore(m, false);
                    TokenDispatcher dispatcher =
                            TokenDispatcher.builder().optExpertPath(path).build();
                    NDArray x = m.randomNormal(new Shape(r.n(), 4));
                    NDArray w = r.weightsArray(m);
                    DispatchPlan plan = dispatcher.plan(r.expertsArray(m), w, e);
                    long[] used =
                            Arrays.stream(r.experts)
                                    .flatMapToLong(Arrays::stream)
                                    .distinct()
                                    .sorted()
                                    .toArray();
                    // AUTO takes the grouped rows for the skewed batch (40 + 2 x 24 rows against 2
                    // x
                    // (39 + 8) occupied and 6 x 39 padded) and the padded grid for one token.
                    boolean occupiedGrid = path == TokenDispatcher.ExpertPath.OCCUPIED;
                    if (path == TokenDispatcher.ExpertPath.AUTO) {
                        assertEquals(
                                r.n() == 40
                                        ? TokenDispatcher.ExpertPath.GROUPED
                                        : TokenDispatcher.ExpertPath.PADDED,
                                plan.getPath(),
                                label);
                    }
                    if (!occupiedGrid) {
                        assertEquals(e, plan.getNumSlotExperts(), label);
                        assertEquals(null, plan.getOccupiedExperts(), label);
                    } else {
                        // Only the occupied experts get slot rows.
                        assertEquals(used.length, plan.getNumSlotExperts(), label);
                        assertArrayEquals(used, plan.getOccupiedExperts().toLongArray(), label);
                    }
                    float[] y = dispatcher.forward(x, w, plan, experts, ps, false).toFloatArray();
                    assertMatchesNaive(r, kept, experts, ps, x, y, label);
                }
            }
        }
    }

    /**
     * The grouped path with skewed routing, dropless and with capacity drops: one expert receiving
     * almost every token, empty experts, a single token, and a single token with two choices. The
     * rows must be the kept assignments in expert order (fill order within an expert), the segment
     * lengths the kept counts, and outputs and gradients those of the naive reference.
     */
    @Test
    void groupedPathWithSkewedRouting() {
        Random rnd = new Random(11);
        int e = 6;
        long[][] skewed = new long[40][2];
        float[][] skewedWeights = new float[40][2];
        for (int t = 0; t < 40; t++) {
            // Expert 2 gets 38 first choices, expert 4 two; second choices spread over 0, 1, 5.
            skewed[t][0] = t == 7 || t == 23 ? 4 : 2;
            skewed[t][1] = t % 3 == 0 ? 0 : t % 3 == 1 ? 1 : 5;
            skewedWeights[t][0] = 0.5f + 0.4f * rnd.nextFloat();
            skewedWeights[t][1] = 0.4f * rnd.nextFloat();
        }
        Routing[] cases = withSingleTokens(new Routing(skewed, skewedWeights));
        TokenDispatcher.ExpertPath grouped = TokenDispatcher.ExpertPath.GROUPED;
        for (Routing r : cases) {
            for (float c : new float[] {0f, 0.5f, 2f}) {
                checkGradients(r, e, c, grouped);
                int capacity =
                        c > 0f ? TokenDispatcher.capacity(r.n(), e, r.k(), c) : maxLoad(r, e);
                boolean[][] kept = naiveKept(r, e, capacity, true);
                String label = "n=" + r.n() + " k=" + r.k() + " c=" + c;
                try (NDManager m = NDManager.newBaseManager()) {
                    Engine.getInstance().setRandomSeed(3);
                    StackedExperts experts =
                            StackedExperts.builder().setExperts(e).setHiddenSize(5).build();
                    experts.initialize(m, DataType.FLOAT32, new Shape(e, 1, 4));
                    ParameterStore ps = new ParameterStore(m, false);
                    TokenDispatcher dispatcher =
                            TokenDispatcher.builder()
                                    .optCapacityFactor(c)
                                    .optExpertPath(grouped)
                                    .build();
                    NDArray x = m.randomNormal(new Shape(r.n(), 4));
                    NDArray w = r.weightsArray(m);
                    DispatchPlan plan = dispatcher.plan(r.expertsArray(m), w, e);
                    assertEquals(grouped, plan.getPath(), label);
                    assertEquals(capacity, plan.getCapacity(), label);
                    List<List<Long>> rows = groupedRows(r, e, kept);
                    long[] segments = rows.stream().mapToLong(List::size).toArray();
                    long[] slotTokens =
                            rows.stream()
                                    .flatMap(List::stream)
                                    .mapToLong(Long::longValue)
                                    .toArray();
                    assertArrayEquals(segments, plan.getSegments(), label);
                    assertEquals(slotTokens.length, plan.getNumSlots(), label);
                    assertArrayEquals(slotTokens, plan.getSlotTokens().toLongArray(), label);
                    if (c == 0.5f && r.n() == 40) {
                        assertTrue(slotTokens.length < 80, "capacity must drop: " + label);
                    }
                    float[] y = dispatcher.forward(x, w, plan, experts, ps, false).toFloatArray();
                    assertMatchesNaive(r, kept, experts, ps, x, y, label);
                }
            }
        }
    }

    /** Each expert's kept tokens in fill order: choice-major, by descending top weight (BPR). */
    private static List<List<Long>> groupedRows(Routing r, int e, boolean[][] kept) {
        Integer[] order = IntStream.range(0, r.n()).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(t -> -r.weights[t][0]));
        List<List<Long>> rows = new ArrayList<>();
        for (int ex = 0; ex < e; ex++) {
            rows.add(new ArrayList<>());
        }
        for (int j = 0; j < r.k(); j++) {
            for (int t : order) {
                if (kept[t][j]) {
                    rows.get((int) r.experts[t][j]).add((long) t);
                }
            }
        }
        return rows;
    }

    /**
     * AUTO picks the path with the fewest rows: padded for balanced loads, the occupied grid for a
     * few full experts, grouped on the CPU when the largest load is far above the others.
     */
    @Test
    void autoPicksThePathWithTheFewestRows() {
        long[][] balanced = new long[40][1];
        long[][] twoExperts = new long[200][1];
        long[][] oneLarge = new long[400][1];
        for (int t = 0; t < 400; t++) {
            if (t < 40) {
                balanced[t][0] = t % 2;
            }
            if (t < 200) {
                twoExperts[t][0] = 3 + t % 2; // 2 of 8 experts, 100 each
            }
            oneLarge[t][0] = t < 300 ? 0 : 1 + t % 7; // 300 to expert 0, 14-15 to each other
        }
        try (NDManager m = NDManager.newBaseManager()) {
            TokenDispatcher auto = TokenDispatcher.builder().build();
            // Padded 2 x 20 = 40 rows against grouped 40 + 2 x 24.
            assertEquals(TokenDispatcher.ExpertPath.PADDED, pathOf(auto, m, balanced, 2));
            // Occupied 2 x (100 + 8) against padded 8 x 100 and grouped 200 + 2 x 24.
            assertEquals(TokenDispatcher.ExpertPath.OCCUPIED, pathOf(auto, m, twoExperts, 8));
            // Grouped 400 + 8 x 24 against padded (and occupied) 8 x 300.
            assertEquals(TokenDispatcher.ExpertPath.GROUPED, pathOf(auto, m, oneLarge, 8));
            // Over 32 experts never run grouped: 300 tokens to expert 0, one to each of experts
            // 1-199 (grouped 499 + 200 x 24 rows against 200 x 300 padded), and the skewed batch
            // above among 400 experts (the occupied grid, 8 x 308 rows, against 400 + 8 x 24).
            long[][] wide = new long[499][1];
            for (int t = 300; t < 499; t++) {
                wide[t][0] = t - 299;
            }
            assertEquals(TokenDispatcher.ExpertPath.PADDED, pathOf(auto, m, wide, 200));
            assertEquals(TokenDispatcher.ExpertPath.OCCUPIED, pathOf(auto, m, oneLarge, 400));
            // Capacity mode on the CPU: C = 4 gives 8 x 200 padded slots for 400 tokens.
            TokenDispatcher capacity = TokenDispatcher.builder().optCapacityFactor(4f).build();
            assertEquals(TokenDispatcher.ExpertPath.GROUPED, pathOf(capacity, m, oneLarge, 8));
            TokenDispatcher padded =
                    TokenDispatcher.builder()
                            .optCapacityFactor(4f)
                            .optExpertPath(TokenDispatcher.ExpertPath.PADDED)
                            .build();
            assertEquals(TokenDispatcher.ExpertPath.PADDED, pathOf(padded, m, oneLarge, 8));
        }
    }

    private static TokenDispatcher.ExpertPath pathOf(
            TokenDispatcher dispatcher, NDManager m, long[][] experts, int e) {
        float[][] weights = new float[experts.length][1];
        for (float[] row : weights) {
            row[0] = 1f;
        }
        Routing r = new Routing(experts, weights);
        return dispatcher.plan(r.expertsArray(m), r.weightsArray(m), e).getPath();
    }

    /** A skewed batch, then a single token, then a single token with two choices (of 6 experts). */
    private static Routing[] withSingleTokens(Routing skewed) {
        return new Routing[] {
            skewed,
            new Routing(new long[][] {{3}}, new float[][] {{0.8f}}),
            new Routing(new long[][] {{5, 0}}, new float[][] {{0.7f, 0.2f}}),
        };
    }

    private void checkGradients(Routing r, int e, float c, TokenDispatcher.ExpertPath path) {
        int n = r.n();
        int k = r.k();
        String label = "c=" + c + " k=" + k + " n=" + n + " path=" + path;
        int d = 5;
        Random rnd = new Random(43 + k);
        int capacity = c > 0f ? TokenDispatcher.capacity(n, e, k, c) : maxLoad(r, e);
        boolean[][] kept = naiveKept(r, e, capacity, true);
        float[] xData = new float[n * d];
        float[] probe = new float[n * d];
        for (int i = 0; i < xData.length; i++) {
            xData[i] = (float) rnd.nextGaussian();
            probe[i] = (float) rnd.nextGaussian();
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(7);
            StackedExperts experts =
                    StackedExperts.builder().setExperts(e).setHiddenSize(7).build();
            experts.initialize(m, DataType.FLOAT32, new Shape(e, 1, d));
            ParameterStore ps = new ParameterStore(m, false);
            TokenDispatcher dispatcher =
                    TokenDispatcher.builder().optCapacityFactor(c).optExpertPath(path).build();
            NDArray probeArray = m.create(probe, new Shape(n, d));

            // Vectorised path.
            NDArray x1 = m.create(xData, new Shape(n, d));
            NDArray w1 = r.weightsArray(m);
            x1.setRequiresGradient(true);
            w1.setRequiresGradient(true);
            DispatchPlan plan = dispatcher.plan(r.expertsArray(m), w1, e);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = dispatcher.forward(x1, w1, plan, experts, ps, true);
                gc.backward(y.mul(probeArray).sum());
            }
            List<float[]> parameterGradients = new ArrayList<>();
            for (Pair<String, Parameter> p : experts.getParameters()) {
                NDArray g = p.getValue().getArray().getGradient();
                parameterGradients.add(g.toFloatArray());
                g.set(new NDIndex("..."), 0f);
            }

            // Naive path: every expert on every token, coefficients C[t, e] = sum_j kept * w *
            // onehot.
            NDArray x2 = m.create(xData, new Shape(n, d));
            NDArray w2 = r.weightsArray(m);
            x2.setRequiresGradient(true);
            w2.setRequiresGradient(true);
            float[] keptMask = new float[n * k];
            for (int t = 0; t < n; t++) {
                for (int j = 0; j < k; j++) {
                    keptMask[t * k + j] = kept[t][j] ? 1f : 0f;
                }
            }
            NDArray mask = m.create(keptMask, new Shape(n, k));
            NDArray oneHot = r.expertsArray(m).oneHot(e, DataType.FLOAT32); // [N, k, E]
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray full = experts.apply(ps, x2.expandDims(0).repeat(0, e), true); // [E, N, d]
                NDArray coeff = oneHot.mul(w2.mul(mask).expandDims(2)).sum(new int[] {1}); // [N, E]
                NDArray y = coeff.transpose().expandDims(2).mul(full).sum(new int[] {0});
                gc.backward(y.mul(probeArray).sum());
            }
            assertArrayEquals(
                    x2.getGradient().toFloatArray(),
                    x1.getGradient().toFloatArray(),
                    1e-5f,
                    label + " dx");
            assertArrayEquals(
                    w2.getGradient().toFloatArray(),
                    w1.getGradient().toFloatArray(),
                    1e-5f,
                    label + " dw");
            int index = 0;
            for (Pair<String, Parameter> p : experts.getParameters()) {
                assertArrayEquals(
                        p.getValue().getArray().getGradient().toFloatArray(),
                        parameterGradients.get(index++),
                        1e-4f,
                        label + " d" + p.getKey());
            }
            // Dropped assignments get no weight gradient; kept ones (generically) do.
            float[] dw = w1.getGradient().toFloatArray();
            for (int t = 0; t < n; t++) {
                for (int j = 0; j < k; j++) {
                    if (!kept[t][j]) {
                        assertEquals(0f, dw[t * k + j], 0f, label);
                    }
                }
            }
            assertTrue(Arrays.stream(toDouble(dw)).anyMatch(v -> v != 0), label);
        }
    }

    private static double[] toDouble(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }
}
