package io.github.moge.core.balance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import io.github.moge.core.ops.ScalarOps;

/**
 * The standard normal cumulative distribution function Phi, built from differentiable {@link
 * NDArray} operations so that autograd flows through it.
 *
 * <p>DJL 0.25 offers {@code erfinv} but no {@code erf}, so the complementary error function is
 * evaluated here with the near-minimax rational approximations of W. J. Cody, "Rational Chebyshev
 * approximations for the error function", Mathematics of Computation 23 (1969), 631-637 (the
 * approximations behind the SPECFUN routine CALERF). Three intervals are used:
 *
 * <ul>
 *   <li>|u| &lt;= 0.46875: erf(u) = u R1(u^2), and erfc = 1 - erf;
 *   <li>0.46875 &lt; |u| &lt;= 4: erfc(|u|) = exp(-u^2) R2(|u|);
 *   <li>|u| &gt; 4: erfc(|u|) = exp(-u^2) / |u| (1/sqrt(pi) - u^-2 R3(u^-2)),
 * </ul>
 *
 * <p>and erfc(-y) = 2 - erfc(y) for negative arguments. Then Phi(x) = erfc(-x / sqrt 2) / 2, so the
 * lower tail Phi(x) for x &lt;&lt; 0 is computed directly (with full relative accuracy, no
 * cancellation) and the upper tail as 1 minus a small number. The approximations are accurate to
 * double precision; in float32 the result is accurate to float32 rounding.
 *
 * <p>Every branch is evaluated on an argument clipped to its own interval and the branches are
 * combined with {@code where}, so neither values nor gradients of the unused branches can produce
 * infinities or NaN. All intermediate arrays live on the input's manager and device.
 */
public final class NormalCdf {

    /** Boundary between the erf and erfc approximations (Cody's THRESH). */
    private static final double THRESH = 0.46875;

    /** erfc(28) underflows to exactly 0 in double precision; clipping there keeps u^2 finite. */
    private static final double UPPER_CLIP = 28.0;

    private static final double SQRT_HALF = 0.70710678118654752440;
    private static final double INV_SQRT_PI = 0.56418958354775628695;

    // Cody (1969), erf on [0, 0.46875]: numerator A, denominator B.
    private static final double[] A = {
        3.16112374387056560e00,
        1.13864154151050156e02,
        3.77485237685302021e02,
        3.20937758913846947e03,
        1.85777706184603153e-1
    };
    private static final double[] B = {
        2.36012909523441209e01,
        2.44024637934444173e02,
        1.28261652607737228e03,
        2.84423683343917062e03
    };
    // Cody (1969), erfc on [0.46875, 4]: numerator C, denominator D.
    private static final double[] C = {
        5.64188496988670089e-1,
        8.88314979438837594e00,
        6.61191906371416295e01,
        2.98635138197400131e02,
        8.81952221241769090e02,
        1.71204761263407058e03,
        2.05107837782607147e03,
        1.23033935479799725e03,
        2.15311535474403846e-8
    };
    private static final double[] D = {
        1.57449261107098347e01,
        1.17693950891312499e02,
        5.37181101862009858e02,
        1.62138957456669019e03,
        3.29079923573345963e03,
        4.36261909014324716e03,
        3.43936767414372164e03,
        1.23033935480374942e03
    };
    // Cody (1969), erfc on [4, infinity): numerator P, denominator Q, in 1/x^2.
    private static final double[] P = {
        3.05326634961232344e-1,
        3.60344899949804439e-1,
        1.25781726111229246e-1,
        1.60837851487422766e-2,
        6.58749161529837803e-4,
        1.63153871373020978e-2
    };
    private static final double[] Q = {
        2.56852019228982242e00,
        1.87295284992346047e00,
        5.27905102951428412e-1,
        6.05183413124413191e-2,
        2.33520497626869185e-3
    };

    private NormalCdf() {}

    /**
     * Returns Phi(x), the standard normal cumulative distribution function, element-wise.
     *
     * <p>Differentiable: the gradient is the normal density (to the accuracy of the approximation).
     * Accurate to about 1e-16 absolute in float64 and to float32 rounding in float32, over the
     * whole real line; the lower tail keeps its relative accuracy down to the underflow of the data
     * type. float16 and bfloat16 inputs are evaluated in float32 and cast back.
     *
     * @param x the arguments, any shape, a floating-point data type
     * @return Phi(x), same shape, data type, manager and device as {@code x}
     * @throws IllegalArgumentException if {@code x} is not of a floating-point data type
     */
    public static NDArray cdf(NDArray x) {
        DataType type = x.getDataType();
        if (type == DataType.FLOAT16 || type == DataType.BFLOAT16) {
            return cdf(x.toType(DataType.FLOAT32, false)).toType(type, false);
        }
        if (type != DataType.FLOAT32 && type != DataType.FLOAT64) {
            throw new IllegalArgumentException(
                    "x must have a floating-point data type (float16, bfloat16, float32 or"
                            + " float64), got "
                            + type);
        }
        // add(double) on a 0-dim float32 array promotes to float64 in DJL: cast back (a no-op
        // otherwise)
        return ScalarOps.mul(erfc(ScalarOps.mul(x, -SQRT_HALF)), 0.5).toType(type, false);
    }

    /**
     * Returns the complementary error function erfc(u) = 1 - erf(u), element-wise, by Cody's
     * rational Chebyshev approximations. Differentiable.
     *
     * @param u the arguments, float32 or float64
     * @return erfc(u), same shape, data type, manager and device as {@code u}
     */
    static NDArray erfc(NDArray u) {
        // Interval 1: |u| <= THRESH, erfc = 1 - u R1(u^2).
        NDArray u1 = u.clip(-THRESH, THRESH);
        NDArray s1 = u1.square();
        NDArray num1 = ScalarOps.mul(s1, A[4]);
        NDArray den1 = s1;
        for (int i = 0; i < 3; i++) {
            num1 = num1.add(A[i]).mul(s1);
            den1 = den1.add(B[i]).mul(s1);
        }
        NDArray small = u1.mul(num1.add(A[3])).div(den1.add(B[3])).neg().add(1.0);

        // Interval 2 (on y = |u| clipped to [THRESH, 4]): erfc(y) = exp(-y^2) R2(y).
        NDArray y = u.abs();
        NDArray y2 = y.clip(THRESH, 4.0);
        NDArray num2 = ScalarOps.mul(y2, C[8]);
        NDArray den2 = y2;
        for (int i = 0; i < 7; i++) {
            num2 = num2.add(C[i]).mul(y2);
            den2 = den2.add(D[i]).mul(y2);
        }
        NDArray mid = expMinusSquare(y2).mul(num2.add(C[7]).div(den2.add(D[7])));

        // Interval 3 (on y clipped to [4, UPPER_CLIP]): erfc(y) = exp(-y^2)/y (1/sqrt(pi) -
        // R3(1/y^2)/y^2).
        NDArray y3 = y.clip(4.0, UPPER_CLIP);
        NDArray s3 = ScalarOps.pow(y3.square(), -1.0);
        NDArray num3 = ScalarOps.mul(s3, P[5]);
        NDArray den3 = s3;
        for (int i = 0; i < 4; i++) {
            num3 = num3.add(P[i]).mul(s3);
            den3 = den3.add(Q[i]).mul(s3);
        }
        NDArray r3 = s3.mul(num3.add(P[4])).div(den3.add(Q[4]));
        NDArray large = expMinusSquare(y3).mul(r3.neg().add(INV_SQRT_PI).div(y3));

        // erfc(|u|) for |u| > THRESH, then reflect negative arguments: erfc(-y) = 2 - erfc(y).
        NDArray tail = NDArrays.where(y.lte(4.0), mid, large);
        NDArray reflected = NDArrays.where(u.gt(0.0), tail, tail.neg().add(2.0));
        return NDArrays.where(y.lte(THRESH), small, reflected);
    }

    /**
     * exp(-y^2) with Cody's splitting y^2 = r^2 + (y - r)(y + r), r = floor(16 y)/16, which avoids
     * the amplified rounding error of y^2 in the far tail. r is piecewise constant (zero gradient),
     * so the gradient -2y exp(-y^2) comes out exactly through the second factor.
     */
    private static NDArray expMinusSquare(NDArray y) {
        NDArray r = ScalarOps.div(ScalarOps.mul(y, 16.0).floor(), 16.0).stopGradient();
        NDArray del = y.sub(r).mul(y.add(r));
        return r.square().neg().exp().mul(del.neg().exp());
    }
}
