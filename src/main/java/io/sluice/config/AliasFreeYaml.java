package io.sluice.config;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.CharArrayReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.NodeEvent;

/**
 * A YAML factory whose parsers refuse anchors ({@code &v}) and aliases ({@code *v}). Jackson does not resolve an
 * alias: it reads {@code *v} as the string "v", so a route's header value or a whole service would silently become
 * the anchor's name. A configuration file means what it says, without references, so both are refused with the
 * place named ({@code routes[1].headers.X-Env[0]}) rather than resolved (which would also open the door to alias
 * bombs). Its numbers are held to {@link InputNumbers}, as the JSON mapper's are.
 */
public final class AliasFreeYaml extends YAMLFactory {

  @Override
  protected YAMLParser _createParser(InputStream in, IOContext ctxt) throws IOException {
    return new Parser(ctxt, _parserFeatures, _yamlParserFeatures, _loaderOptions, _objectCodec,
        _createReader(in, null, ctxt));
  }

  @Override
  protected YAMLParser _createParser(Reader r, IOContext ctxt) {
    return new Parser(ctxt, _parserFeatures, _yamlParserFeatures, _loaderOptions, _objectCodec, r);
  }

  @Override
  protected YAMLParser _createParser(char[] data, int offset, int len, IOContext ctxt, boolean recyclable) {
    return new Parser(ctxt, _parserFeatures, _yamlParserFeatures, _loaderOptions, _objectCodec,
        new CharArrayReader(data, offset, len));
  }

  @Override
  protected YAMLParser _createParser(byte[] data, int offset, int len, IOContext ctxt) throws IOException {
    return new Parser(ctxt, _parserFeatures, _yamlParserFeatures, _loaderOptions, _objectCodec,
        _createReader(data, offset, len, null, ctxt));
  }

  private static final class Parser extends YAMLParser {
    Parser(IOContext ctxt, int features, int yamlFeatures, LoaderOptions options, ObjectCodec codec, Reader reader) {
      super(ctxt, features, yamlFeatures, options, codec, reader);
    }

    @Override
    public JsonToken nextToken() throws IOException {
      JsonToken t = super.nextToken();
      // The event itself: Jackson's getCurrentAnchor() reports the anchor of a collection, not of a scalar.
      if (_lastEvent instanceof AliasEvent alias) {
        throw new InputRefused(this, InputRefused.field(this, t), "YAML aliases (*" + alias.getAnchor()
            + ") are not supported: write the value out");
      }
      if (_lastEvent instanceof NodeEvent node && node.getAnchor() != null) {
        throw new InputRefused(this, InputRefused.field(this, t), "YAML anchors (&" + node.getAnchor()
            + ") are not supported: write the value out");
      }
      InputNumbers.check(this, t);
      return t;
    }
  }
}
