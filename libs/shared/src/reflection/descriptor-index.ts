import { toBinary, type DescExtension, type DescFile, type DescMessage, type DescService } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  file_google_protobuf_any,
  file_google_protobuf_api,
  file_google_protobuf_descriptor,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_field_mask,
  file_google_protobuf_source_context,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_type,
  file_google_protobuf_wrappers,
} from '@bufbuild/protobuf/wkt';

// Always answerable by name or symbol, as in other gRPC servers, even when no served
// contract imports them.
const WELL_KNOWN_FILES: readonly DescFile[] = [
  file_google_protobuf_any,
  file_google_protobuf_api,
  file_google_protobuf_descriptor,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_field_mask,
  file_google_protobuf_source_context,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_type,
  file_google_protobuf_wrappers,
];

/**
 * Every file a server's contracts are made of, found by file name, by the fully-qualified
 * name of anything declared in it (service, method, message, field, oneof, enum,
 * extension) or by extension number, with the file descriptors serialised for the wire.
 */
export class DescriptorIndex {
  readonly #serviceNames: string[];
  readonly #files = new Map<string, DescFile>();
  readonly #fileOfSymbol = new Map<string, DescFile>();
  readonly #messageNames = new Set<string>();
  // extendee type name -> extension field number -> file declaring the extension
  readonly #extensions = new Map<string, Map<number, DescFile>>();
  readonly #encoded = new Map<string, Uint8Array>();

  constructor(services: Iterable<DescService>) {
    const unique = new Map<string, DescService>();
    for (const service of services) unique.set(service.typeName, service);
    this.#serviceNames = [...unique.keys()].sort();
    for (const file of WELL_KNOWN_FILES) this.#addFile(file);
    for (const service of unique.values()) this.#addFile(service.file);
  }

  serviceNames(): readonly string[] {
    return this.#serviceNames;
  }

  fileByName(name: string): DescFile | undefined {
    return this.#files.get(name);
  }

  fileContainingSymbol(symbol: string): DescFile | undefined {
    // Clients may send a leading dot (the descriptor spelling of a fully-qualified name).
    return this.#fileOfSymbol.get(symbol.startsWith('.') ? symbol.slice(1) : symbol);
  }

  /** The file declaring extension `number` of message `extendee`. */
  fileContainingExtension(extendee: string, number: number): DescFile | undefined {
    return this.#extensions.get(extendee)?.get(number);
  }

  /** Known extension numbers of a message (often none), or `undefined` for an unknown message. */
  extensionNumbersOf(extendee: string): number[] | undefined {
    if (!this.#messageNames.has(extendee)) return undefined;
    return [...(this.#extensions.get(extendee)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /**
   * `file` and then its transitive imports, serialised, skipping those in `alreadySent`
   * (which it updates): a client resolving several symbols on one stream receives each
   * import once, as from grpc-go, and never a file whose imports it lacks.
   */
  encodeWithDependencies(file: DescFile, alreadySent: Set<string>): Uint8Array[] {
    const out: Uint8Array[] = [this.#encode(file)];
    alreadySent.add(file.proto.name);
    const pending = [...file.dependencies];
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      if (alreadySent.has(next.proto.name)) continue;
      alreadySent.add(next.proto.name);
      out.push(this.#encode(next));
      pending.push(...next.dependencies);
    }
    return out;
  }

  #encode(file: DescFile): Uint8Array {
    let bytes = this.#encoded.get(file.proto.name);
    if (bytes === undefined) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      this.#encoded.set(file.proto.name, bytes);
    }
    return bytes;
  }

  #addFile(file: DescFile): void {
    // `file.proto.name` is the path clients ask for ("google/protobuf/empty.proto");
    // protobuf-es's `file.name` drops the ".proto".
    if (this.#files.has(file.proto.name)) return;
    this.#files.set(file.proto.name, file);
    const declarations = declarationsOf(file);
    for (const symbol of declarations.symbols) this.#fileOfSymbol.set(symbol, file);
    for (const message of declarations.messages) this.#messageNames.add(message);
    for (const extension of declarations.extensions) {
      const byNumber = this.#extensions.get(extension.extendee.typeName) ?? new Map<number, DescFile>();
      byNumber.set(extension.number, file);
      this.#extensions.set(extension.extendee.typeName, byNumber);
    }
    for (const dependency of file.dependencies) this.#addFile(dependency);
  }
}

interface Declarations {
  symbols: string[];
  messages: string[];
  extensions: DescExtension[];
}

function declarationsOf(file: DescFile): Declarations {
  const found: Declarations = { symbols: [], messages: [], extensions: [...file.extensions] };
  for (const service of file.services) {
    found.symbols.push(service.typeName, ...service.methods.map((method) => `${service.typeName}.${method.name}`));
  }
  found.symbols.push(...file.enums.map((e) => e.typeName), ...file.extensions.map((x) => x.typeName));
  for (const message of file.messages) addMessage(message, found);
  return found;
}

function addMessage(message: DescMessage, found: Declarations): void {
  found.messages.push(message.typeName);
  found.symbols.push(
    message.typeName,
    ...message.fields.map((field) => `${message.typeName}.${field.name}`),
    ...message.oneofs.map((oneof) => `${message.typeName}.${oneof.name}`),
    ...message.nestedEnums.map((e) => e.typeName),
    ...message.nestedExtensions.map((x) => x.typeName),
  );
  found.extensions.push(...message.nestedExtensions);
  for (const nested of message.nestedMessages) addMessage(nested, found);
}
