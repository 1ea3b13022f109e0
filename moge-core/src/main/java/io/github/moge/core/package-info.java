/**
 * Core Mixture-of-Experts and Mixture-of-Group-Experts building blocks for DJL: routing, stacked
 * experts, token dispatch, load-balancing losses, the Gaussian group-sparse regularizer over the
 * topographic map of the routing input, and its sigma schedule.
 */
package io.github.moge.core;
