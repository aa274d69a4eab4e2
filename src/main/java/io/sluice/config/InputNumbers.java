package io.sluice.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Numbers as a document is read: every numeric field of Sluice is an integer, so a number beyond a long's range
 * ({@code 1e400}, a 2,000-digit integer) or one no exact decimal holds ({@code 1e9999999999},
 * {@code 1e-9999999999}, YAML's {@code .inf}) is refused where it stands, 400 naming the field
 * ({@link InputRefused}), before Jackson reads its value: Jackson's own reading of such a number threw an
 * exception no caller took for bad input (a 500 and an ERROR line), or made an infinity that failed later.
 * A fraction in range ({@code 1e-400}) is read exactly and left to the schema, which refuses it as a fraction.
 */
public final class InputNumbers {

  /** The longest number read (Jackson's own default bound for JSON): a longer one is out of range anyway. */
  private static final int MAX_LENGTH = 1000;
  /** Decimal exponents beyond this are out of range whatever the digits (and cheap to refuse before parsing). */
  private static final int MAX_EXPONENT_DIGITS = 6;
  private static final Pattern DECIMAL = Pattern.compile("[-+]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE]([-+]?[0-9]+))?");
  private static final BigDecimal MIN = BigDecimal.valueOf(Long.MIN_VALUE);
  private static final BigDecimal MAX = BigDecimal.valueOf(Long.MAX_VALUE);

  private InputNumbers() {}

  /** Refuses the number {@code p} just read as {@code t} when it is out of range; anything else passes. */
  static void check(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
      return;
    }
    String text = p.getText();
    if (!inRange(p, t, text)) {
      throw outOfRange(p, t, text);
    }
  }

  private static boolean inRange(JsonParser p, JsonToken t, String text) throws IOException {
    if (text == null || text.length() > MAX_LENGTH) {
      return false;
    }
    String plain = text.replace("_", ""); // YAML's digit separators (1_000)
    Matcher m = DECIMAL.matcher(plain);
    if (m.matches()) {
      String exponent = m.group(1) == null ? "0" : m.group(1).replaceFirst("^[-+]?0*", "");
      return exponent.length() <= MAX_EXPONENT_DIGITS && within(new BigDecimal(plain));
    }
    // YAML's other forms (0x1F, 0o17, .inf, .nan): Jackson's own reading, which is exact for integers.
    if (t == JsonToken.VALUE_NUMBER_INT) {
      return within(new BigDecimal(p.getBigIntegerValue()));
    }
    double d = p.getDoubleValue();
    return Double.isFinite(d) && within(BigDecimal.valueOf(d));
  }

  /** Whether {@code v} is within a long's range. */
  static boolean within(BigDecimal v) {
    return v.compareTo(MIN) >= 0 && v.compareTo(MAX) <= 0;
  }

  private static InputRefused outOfRange(JsonParser p, JsonToken t, String text) {
    String shown = text == null ? "a number of more than " + MAX_LENGTH + " characters"
        : text.length() > 40 ? text.substring(0, 20) + "… (" + text.length() + " characters)" : text;
    return new InputRefused(p, InputRefused.field(p, t), shown + " is out of range: a number here is an integer"
        + " from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE);
  }

  /** A JSON factory whose parsers hold numbers to {@link #check}. */
  static final class Json extends JsonFactory {

    Json() {}

    private Json(Json src) {
      super(src, null);
    }

    @Override
    public JsonFactory copy() {
      return new Json(this);
    }

    @Override
    protected JsonParser _createParser(InputStream in, IOContext ctxt) throws IOException {
      return new Checked(super._createParser(in, ctxt));
    }

    @Override
    protected JsonParser _createParser(Reader r, IOContext ctxt) throws IOException {
      return new Checked(super._createParser(r, ctxt));
    }

    @Override
    protected JsonParser _createParser(char[] data, int offset, int len, IOContext ctxt, boolean recyclable)
        throws IOException {
      return new Checked(super._createParser(data, offset, len, ctxt, recyclable));
    }

    @Override
    protected JsonParser _createParser(byte[] data, int offset, int len, IOContext ctxt) throws IOException {
      return new Checked(super._createParser(data, offset, len, ctxt));
    }
  }

  /**
   * Checks each number as its token is read. Jackson's JSON parser reads an object's value with its field name,
   * so a number too long for it fails the name's call: that is refused as out of range too, at the field.
   */
  private static final class Checked extends JsonParserDelegate {
    Checked(JsonParser d) {
      super(d);
    }

    @Override
    public JsonToken nextToken() throws IOException {
      try {
        JsonToken t = delegate.nextToken();
        check(this, t);
        return t;
      } catch (StreamConstraintsException e) {
        throw tooLong(e);
      }
    }

    @Override
    public JsonToken nextValue() throws IOException {
      try {
        JsonToken t = delegate.nextValue();
        check(this, t);
        return t;
      } catch (StreamConstraintsException e) {
        throw tooLong(e);
      }
    }

    @Override
    public String nextFieldName() throws IOException {
      try {
        return delegate.nextFieldName();
      } catch (StreamConstraintsException e) {
        throw tooLong(e);
      }
    }

    @Override
    public boolean nextFieldName(SerializableString str) throws IOException {
      try {
        return delegate.nextFieldName(str);
      } catch (StreamConstraintsException e) {
        throw tooLong(e);
      }
    }

    private IOException tooLong(StreamConstraintsException e) {
      String m = e.getOriginalMessage();
      return m != null && m.startsWith("Number value length") ? outOfRange(this, null, null) : e;
    }
  }
}
