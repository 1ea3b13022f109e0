package io.github.moge.examples.training;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a command option or a settings field that belongs to one invocation, not to the run: the
 * output directory, progress display, wall-time budget, checkpoint cadence. Such options are
 * allowed with {@code --resume}; such fields are not saved in {@code config.json}.
 *
 * <p>Everything else defines the run: every other option of a training command is refused together
 * with {@code --resume} ({@link CommandSettings#runDefiningOptions}), every other field of its
 * settings object is saved ({@link CommandSettings#toConfiguration}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface PerInvocation {}
