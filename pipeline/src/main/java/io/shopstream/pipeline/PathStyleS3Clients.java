package io.shopstream.pipeline;

import org.apache.beam.sdk.io.aws2.options.S3ClientBuilderFactory;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Beam's S3 clients with path-style addressing ({@code --s3PathStyleAccess}): Beam offers it only
 * through a client factory class.
 */
public final class PathStyleS3Clients implements S3ClientBuilderFactory {

  @Override
  public S3ClientBuilder createBuilder(S3Options options) {
    return new DefaultS3ClientBuilderFactory().createBuilder(options).forcePathStyle(true);
  }
}
