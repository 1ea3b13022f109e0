/**
 * Learning-curve figures of training runs: {@link io.github.moge.examples.plot.RunCurves} reads a
 * run directory's logs, {@link io.github.moge.examples.plot.CurvesFigure} draws {@code curves.png}
 * with XChart, and {@code moge plot} ({@link io.github.moge.examples.plot.PlotCommand}) overlays
 * several runs.
 */
package io.github.moge.examples.plot;
