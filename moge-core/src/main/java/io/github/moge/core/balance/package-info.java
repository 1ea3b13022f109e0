/** Load-balancing auxiliary losses: V-MoE importance + load, and Switch. */
package io.github.moge.core.balance;
