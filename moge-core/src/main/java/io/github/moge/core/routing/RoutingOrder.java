package io.github.moge.core.routing;

/** The order in which a router applies softmax and top-k selection to the gate logits. */
public enum RoutingOrder {
    /**
     * Vision (V-MoE, Tutel): softmax over all experts, then keep the k largest probabilities as
     * combine weights (optionally renormalised to sum to one).
     */
    SOFTMAX_THEN_TOPK,
    /**
     * Language modelling (Switch-style SMoE): keep the k largest raw logits, then softmax over
     * those k to obtain combine weights.
     */
    TOPK_THEN_SOFTMAX
}
