package io.github.moge.examples.training;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a run-defining settings field added after runs were already saved without it, whose absence
 * means "not given" (null): a {@code config.json} that lacks it still resumes and loads ({@link
 * CommandSettings#fromConfiguration}), and compares equal to one that saves it as null. Only a
 * field whose null value keeps the run as it was may carry it.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.RECORD_COMPONENT})
public @interface AddedSetting {}
