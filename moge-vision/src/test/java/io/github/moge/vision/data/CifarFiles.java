package io.github.moge.vision.data;

/** Builds CIFAR-100 binary content with known labels and pixels. */
final class CifarFiles {

    private CifarFiles() {}

    static int coarse(int i) {
        return i % 20;
    }

    static int fine(int i) {
        return (i * 7 + 3) % 100;
    }

    static int pixel(int i, int j) {
        return (i * 31 + j * 5) & 0xFF;
    }

    static byte[] records(int n) {
        byte[] b = new byte[n * Cifar100Dataset.RECORD_BYTES];
        for (int i = 0; i < n; i++) {
            int o = i * Cifar100Dataset.RECORD_BYTES;
            b[o] = (byte) coarse(i);
            b[o + 1] = (byte) fine(i);
            for (int j = 0; j < 3072; j++) {
                b[o + 2 + j] = (byte) pixel(i, j);
            }
        }
        return b;
    }
}
