package io.github.moge.vision.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class InvarianceTransformsTest {

    @Test
    void listsTheTwelveTransformsOfTable1() {
        List<String> names =
                InvarianceTransforms.all().stream()
                        .map(InvarianceTransforms.Entry::getName)
                        .collect(Collectors.toList());
        assertEquals(
                List.of(
                        "rotation 5",
                        "rotation 10",
                        "rotation 15",
                        "scale 0.5",
                        "scale 0.8",
                        "scale 1.1",
                        "translation (0,0.1)",
                        "translation (0.1,0)",
                        "translation (0.1,0.1)",
                        "shear 5",
                        "shear 10",
                        "shear 15"),
                names);
        assertEquals(3, InvarianceTransforms.family(InvarianceTransforms.SHEAR).size());
        assertThrows(IllegalArgumentException.class, () -> InvarianceTransforms.family("flip"));

        InvarianceTransforms.Entry t = InvarianceTransforms.all().get(6);
        assertEquals(0f, t.getTransform().getTranslateX());
        assertEquals(0.1f, t.getTransform().getTranslateY());
        assertEquals(10f, InvarianceTransforms.all().get(10).getTransform().getShearX());
    }

    @Test
    void verticalTranslationMovesContentDown() {
        try (NDManager m = NDManager.newBaseManager()) {
            // A bright row at the top of a 10 x 10 image: (0,0.1) moves it down by exactly 1 row.
            float[] px = new float[100];
            for (int x = 0; x < 10; x++) {
                px[x] = 1f;
            }
            NDArray img = m.create(px, new Shape(1, 10, 10));
            NDArray out = InvarianceTransforms.all().get(6).getTransform().transform(img);
            float[] o = out.toFloatArray();
            for (int i = 0; i < 100; i++) {
                assertEquals(i >= 10 && i < 20 ? 1f : 0f, o[i], 0f, "pixel " + i);
            }
        }
    }
}
