package io.github.moge.examples.benchmark;

import picocli.CommandLine.Option;

/** The options of a benchmark that runs a {@link PythonPeer} beside the Java rows (a mixin). */
final class PeerOptions {

    @Option(
            names = "--python",
            defaultValue = "/usr/bin/python3",
            description = "Python with torch for the peer (default: ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--no-peer", description = "Skip the PyTorch peer.")
    boolean noPeer;

    /**
     * Finds the peer script unless the peer is turned off.
     *
     * @param scriptName the file name under {@code moge-examples/bench}
     * @return the peer, or null when it is off or torch or the script is missing
     */
    PythonPeer find(String scriptName) throws InterruptedException {
        return noPeer ? null : PythonPeer.find(python, scriptName);
    }

    /**
     * Says which peer a benchmark runs, for its header line.
     *
     * @param peer the peer found, or null
     * @return the peer's command, or why there is none
     */
    String describe(PythonPeer peer) {
        if (noPeer) {
            return "none (--no-peer)";
        }
        return peer == null ? "none (no torch or no script)" : peer.toString();
    }
}
