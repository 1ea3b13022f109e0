/**
 * Gating: from token representations to expert choices, combine weights and the routing input z.
 */
package io.github.moge.core.routing;
