/**
 * Finds the types a package's users meet in its public signatures but cannot
 * import: every named type (interface, class, type alias, enum) that is
 * declared under `sourceRoot`, reachable from an entry's exports, and not
 * exported by any entry.
 *
 * The walk goes through types, not syntax, so inferred types count too (an
 * exported `const` without an annotation, a method's inferred return type).
 * It reaches parameters, return types, public properties, index signatures,
 * base types, type arguments and type-parameter constraints. It looks inside
 * types declared under `sourceRoot` only: a library's own types end the walk,
 * except for their type arguments (`Promise<Hidden>` still finds `Hidden`).
 */
import { relative } from 'node:path';
import ts from 'typescript';

const NAMED_TYPE = ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Enum;

/** One unexported type: `Name (path/to/file.ts), reached from <entry export>`. */
export type UnexportedTypeReport = string;

export function findUnexportedTypes(
  entryFiles: readonly string[],
  options: ts.CompilerOptions,
  sourceRoot: string,
): UnexportedTypeReport[] {
  const program = ts.createProgram(entryFiles, options);
  const checker = program.getTypeChecker();
  const isInSource = (declaration: ts.Declaration): boolean => {
    const file = declaration.getSourceFile();
    return !file.isDeclarationFile && !relative(sourceRoot, file.fileName).startsWith('..');
  };
  const declaredInSource = (symbol: ts.Symbol): boolean => symbol.declarations?.some(isInSource) ?? false;

  const roots: Array<{ symbol: ts.Symbol; name: string }> = [];
  for (const entryFile of entryFiles) {
    const source = program.getSourceFile(entryFile);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`${entryFile} is not a module the compiler can read`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      roots.push({ symbol, name: `${relative(sourceRoot, entryFile)}: ${exported.name}` });
    }
  }
  const exportedSymbols = new Set(roots.map((root) => root.symbol));

  const unexported = new Map<ts.Symbol, UnexportedTypeReport>();
  const visited = new Set<ts.Type>();

  function noteUse(symbol: ts.Symbol, from: string): void {
    if (!(symbol.flags & NAMED_TYPE) || !declaredInSource(symbol)) return;
    if (exportedSymbols.has(symbol) || unexported.has(symbol)) return;
    const file = relative(sourceRoot, symbol.declarations![0]!.getSourceFile().fileName);
    unexported.set(symbol, `${symbol.name} (${file}), reached from ${from}`);
  }

  function visitType(type: ts.Type, from: string): void {
    if (visited.has(type)) return;
    visited.add(type);
    if (type.aliasSymbol) noteUse(type.aliasSymbol, from);
    for (const argument of type.aliasTypeArguments ?? []) visitType(argument, from);
    if (type.isUnionOrIntersection()) for (const member of type.types) visitType(member, from);
    if (isTypeReference(type)) for (const argument of checker.getTypeArguments(type)) visitType(argument, from);
    const constraint = type.isTypeParameter() ? type.getConstraint() : undefined;
    if (constraint) visitType(constraint, from);
    const symbol = type.getSymbol();
    if (symbol === undefined || !declaredInSource(symbol)) return;
    noteUse(symbol, from);
    visitMembers(type, from);
  }

  function visitMembers(type: ts.Type, from: string): void {
    for (const property of checker.getPropertiesOfType(type)) {
      if (!isPublic(property)) continue;
      visitType(checker.getTypeOfSymbol(property), from);
    }
    for (const signature of [...type.getCallSignatures(), ...type.getConstructSignatures()]) {
      if (!isCallable(signature)) continue;
      for (const parameter of signature.getParameters()) visitType(checker.getTypeOfSymbol(parameter), from);
      for (const parameter of signature.getTypeParameters() ?? []) visitType(parameter, from);
      visitType(signature.getReturnType(), from);
    }
    for (const index of checker.getIndexInfosOfType(type)) visitType(index.type, from);
    if (type.isClassOrInterface()) for (const base of checker.getBaseTypes(type)) visitType(base, from);
  }

  for (const { symbol, name } of roots) {
    if (symbol.flags & NAMED_TYPE) visitType(checker.getDeclaredTypeOfSymbol(symbol), name);
    if (symbol.flags & ts.SymbolFlags.Value) visitType(checker.getTypeOfSymbol(symbol), name);
  }
  return [...unexported.values()].sort();
}

function isTypeReference(type: ts.Type): type is ts.TypeReference {
  return (type.flags & ts.TypeFlags.Object) !== 0 && ((type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference) !== 0;
}

/** A `private constructor(…)` shows users no parameters. */
function isCallable(signature: ts.Signature): boolean {
  const declaration = signature.getDeclaration() as ts.SignatureDeclaration | undefined;
  return declaration === undefined || (ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Private) === 0;
}

/** Private members (`private x`, `#x`) are not part of what a user can reach. */
function isPublic(property: ts.Symbol): boolean {
  if (property.name.startsWith('#') || property.escapedName.toString().startsWith('__#')) return false;
  const declaration = property.valueDeclaration ?? property.declarations?.[0];
  return declaration === undefined || (ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Private) === 0;
}
