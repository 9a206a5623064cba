package io.shopstream.pipeline;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.util.VarInt;

/**
 * A compact, deterministic coder for records that are a fixed list of strings. The fields travel as
 * one length-prefixed block of (length, UTF-8 bytes) pairs that is read back with a single read: a
 * coder per field cost a few stream reads per field, which profiles showed as the largest part of
 * Spark's shuffle and cache work.
 */
final class TextFieldsCoder<T> extends CustomCoder<T> {

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
    List<String> fields = toFields.apply(value);
    byte[][] encoded = new byte[fields.size()][];
    int size = 0;
    for (int i = 0; i < encoded.length; i++) {
      encoded[i] = fields.get(i).getBytes(StandardCharsets.UTF_8);
      size += VarInt.getLength(encoded[i].length) + encoded[i].length;
    }
    VarInt.encode(size, out);
    for (byte[] field : encoded) {
      VarInt.encode(field.length, out);
      out.write(field);
    }
  }

  @Override
  public T decode(InputStream in) throws IOException {
    int size = VarInt.decodeInt(in);
    byte[] block = in.readNBytes(size);
    if (block.length != size) {
      throw new EOFException("record cut short: " + block.length + " of " + size + " bytes");
    }
    List<String> fields = new ArrayList<>();
    int pos = 0;
    while (pos < size) {
      int length = 0;
      for (int shift = 0; ; shift += 7) {
        byte b = block[pos++];
        length |= (b & 0x7F) << shift;
        if (b >= 0) {
          break;
        }
      }
      if (length > size - pos) {
        throw new CoderException("field of " + length + " bytes overruns the record");
      }
      fields.add(new String(block, pos, length, StandardCharsets.UTF_8));
      pos += length;
    }
    return fromFields.apply(fields);
  }

  @Override
  public void verifyDeterministic() {}
}
