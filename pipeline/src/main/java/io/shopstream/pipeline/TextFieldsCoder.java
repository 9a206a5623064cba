package io.shopstream.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.SerializableFunction;

/**
 * A compact, deterministic coder for records that are a fixed list of strings: far cheaper than
 * Java serialization on the shuffle path.
 */
final class TextFieldsCoder<T> extends CustomCoder<T> {

  private static final ListCoder<String> FIELDS = ListCoder.of(StringUtf8Coder.of());

  private final SerializableFunction<T, List<String>> toFields;
  private final SerializableFunction<List<String>, T> fromFields;

  TextFieldsCoder(
      SerializableFunction<T, List<String>> toFields,
      SerializableFunction<List<String>, T> fromFields) {
    this.toFields = toFields;
    this.fromFields = fromFields;
  }

  @Override
  public void encode(T value, OutputStream out) throws IOException {
    FIELDS.encode(toFields.apply(value), out);
  }

  @Override
  public T decode(InputStream in) throws IOException {
    return fromFields.apply(FIELDS.decode(in));
  }

  @Override
  public void verifyDeterministic() {}
}
