package io.github.moge.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * How auxiliary loss terms travel from MoE layers to {@link MoeLoss}: as extra, named scalar
 * entries after the head of a block's output {@link NDList}.
 *
 * <p>This follows DJL's own pattern for auxiliary losses (extra output entries, as TabNet does)
 * rather than a side channel in the block, so it stays correct when a batch is split across devices
 * and evaluators such as Accuracy, which read the head, keep working. A model's output is therefore
 * {@code (prediction, term, term, ...)}: one entry per MoE layer and kind of term, each named
 * {@link #BALANCE} or {@link #GROUP_SPARSE} (and, for diagnostics only, {@link #ROUTER_INPUT}).
 * {@link MoeSequentialBlock} threads them through a stack of blocks.
 */
public final class AuxiliaryTerms {

    /** Name of a layer's load-balancing loss entry (unweighted). */
    public static final String BALANCE = "moe.balance";

    /** Name of a layer's group-sparse regularizer entry L_gs (without lambda). */
    public static final String GROUP_SPARSE = "moe.group_sparse";

    /**
     * Name of a diagnostic entry, not a loss term: the tokens a MoGE layer routed (detached, [N,
     * d]), emitted only while {@link MoeBlock#setRouterInputProbe(boolean)} is on, so that {@link
     * io.github.moge.core.metrics.RegularizerPull} can differentiate L_gs through the router alone.
     * {@link MoeLoss} ignores it.
     */
    public static final String ROUTER_INPUT = "moe.router_input";

    /**
     * The name under which {@link MoeLoss} reports the weighted sum of the {@link #BALANCE} entries
     * (its component loss, hence the {@code metrics.csv} and {@code epochs.csv} column).
     */
    public static final String BALANCE_LOSS = "balance_loss";

    /**
     * The name under which {@link MoeLoss} reports the weighted sum of the {@link #GROUP_SPARSE}
     * entries (its component loss, hence the {@code metrics.csv} and {@code epochs.csv} column).
     */
    public static final String GROUP_SPARSE_LOSS = "group_sparse_loss";

    private AuxiliaryTerms() {}

    /**
     * Names a scalar term so {@link MoeLoss} can find it.
     *
     * @param term the scalar
     * @param name {@link #BALANCE} or {@link #GROUP_SPARSE}
     * @return the same array, named
     */
    public static NDArray named(NDArray term, String name) {
        term.setName(name);
        return term;
    }

    /**
     * Returns whether an entry of an output list is an auxiliary entry that blocks must pass on.
     *
     * @param array the entry
     * @return true for entries named {@link #BALANCE}, {@link #GROUP_SPARSE} or {@link
     *     #ROUTER_INPUT}
     */
    public static boolean isTerm(NDArray array) {
        String name = array.getName();
        return BALANCE.equals(name) || GROUP_SPARSE.equals(name) || ROUTER_INPUT.equals(name);
    }

    /**
     * Returns the entries with a given name, in the order the layers emitted them.
     *
     * @param outputs a model's output
     * @param name the entry name
     * @return the entries, possibly none
     */
    public static NDList all(NDList outputs, String name) {
        NDList found = new NDList();
        for (int i = 1; i < outputs.size(); i++) {
            if (name.equals(outputs.get(i).getName())) {
                found.add(outputs.get(i));
            }
        }
        return found;
    }

    /**
     * Returns the auxiliary terms of an output list: every entry after the head that is a named
     * term.
     *
     * @param outputs a block's output
     * @return the terms, possibly empty
     */
    public static NDList of(NDList outputs) {
        NDList terms = new NDList();
        for (int i = 1; i < outputs.size(); i++) {
            if (isTerm(outputs.get(i))) {
                terms.add(outputs.get(i));
            }
        }
        return terms;
    }

    /**
     * Sums the entries with a given name, over all layers.
     *
     * @param outputs a model's output
     * @param name the term name
     * @return the sum as a scalar, or {@code null} when there is no such entry
     */
    public static NDArray sum(NDList outputs, String name) {
        NDArray total = null;
        for (int i = 1; i < outputs.size(); i++) {
            NDArray entry = outputs.get(i);
            if (name.equals(entry.getName())) {
                total = total == null ? entry : total.add(entry);
            }
        }
        return total;
    }
}
