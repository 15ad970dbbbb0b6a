#!/usr/bin/env python3
"""Turns py_webauthn's ceremony tests into data: one JSON file per test module.

Usage: extract.py path/to/py_webauthn/tests out_dir

The test modules are read with Python's `ast` (never imported or run). For every test method
that calls `verify_registration_response` or `verify_authentication_response`, the literal
inputs of that call are resolved (string constants, `base64url_to_bytes("...")` as base64url
text, JSON credentials parsed, names bound earlier in the method), together with the outcome
(`success`, or `error` with the exception name and message pattern of `assertRaises[Regex]`)
and the `assert verification.<field> == <literal>` facts that follow. Methods whose inputs are
built by mutation or whose collaborators are mocked are kept with `"skip"` saying why; an
argument that names a constant defined elsewhere is kept as {"unresolved": "<source>"}.
"""
import ast
import json
import os
import sys

ENUMS = {
    "AttestationFormat.NONE": "none", "AttestationFormat.PACKED": "packed", "AttestationFormat.FIDO_U2F": "fido-u2f",
    "AttestationFormat.TPM": "tpm", "AttestationFormat.ANDROID_KEY": "android-key",
    "AttestationFormat.ANDROID_SAFETYNET": "android-safetynet", "AttestationFormat.APPLE": "apple",
    "PublicKeyCredentialType.PUBLIC_KEY": "public-key",
}
CALLS = ("verify_registration_response", "verify_authentication_response")


class Unresolved(Exception):
    pass


def value(node, env):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List) or isinstance(node, ast.Tuple):
        return [value(e, env) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {value(k, env): value(v, env) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        raise Unresolved(node.id)
    if isinstance(node, ast.Attribute):
        text = ast.unparse(node)
        if text in ENUMS:
            return ENUMS[text]
        if text.startswith("COSEAlgorithmIdentifier."):
            return text
        raise Unresolved(text)
    if isinstance(node, ast.Call):
        name = ast.unparse(node.func)
        if name == "base64url_to_bytes" and len(node.args) == 1:
            return value(node.args[0], env)
        if name in ("parse_registration_credential_json", "parse_authentication_credential_json", "json.dumps") and len(node.args) == 1:
            return credential(value(node.args[0], env))
        if name == "datetime":
            return "%04d-%02d-%02dT%02d:%02d:%02dZ" % tuple(value(a, env) for a in node.args)
    raise Unresolved(ast.unparse(node))


def credential(v):
    return json.loads(v) if isinstance(v, str) else v


def find_call(node):
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and ast.unparse(sub.func) in CALLS:
            return sub
    return None


def extract(function):
    env, case, notes = {}, None, []
    decorators = [ast.unparse(d) for d in function.decorator_list]
    if any(d.startswith("patch(") for d in decorators):
        notes.append("collaborators mocked: " + ", ".join(decorators))

    def visit(statements, raises=None):
        nonlocal case
        for stmt in statements:
            if isinstance(stmt, ast.With):
                expectation = None
                for item in stmt.items:
                    ctx = item.context_expr
                    if isinstance(ctx, ast.Call) and ast.unparse(ctx.func) in ("self.assertRaises", "self.assertRaisesRegex"):
                        expectation = {"exception": ast.unparse(ctx.args[0])}
                        if len(ctx.args) > 1:
                            expectation["message"] = value(ctx.args[1], env)
                visit(stmt.body, expectation)
                continue
            call = find_call(stmt)
            if call is not None and case is None:
                args = {}
                for kw in call.keywords:
                    try:
                        args[kw.arg] = value(kw.value, env)
                    except Unresolved as e:
                        args[kw.arg] = {"unresolved": str(e)}
                if isinstance(args.get("credential"), str):
                    args["credential"] = credential(args["credential"])
                case = {"call": ast.unparse(call.func), "args": args, "outcome": "success" if raises is None else "error", "expect": {}}
                if raises is not None:
                    case.update(raises)
                continue
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if isinstance(target, ast.Name):
                    try:
                        env[target.id] = value(stmt.value, env)
                    except Unresolved:
                        env.pop(target.id, None)
                else:
                    notes.append("input built by mutation: " + ast.unparse(stmt).split("\n")[0][:120])
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                text = ast.unparse(stmt.value.func)
                if text.endswith("set_time"):
                    env["__time__"] = value(stmt.value.args[0], env)
                    continue
                if text == "self.assertEqual" and case is not None:
                    record(stmt.value.args[0], stmt.value.args[1])
                continue
            if isinstance(stmt, ast.Assert) and case is not None:
                test = stmt.test
                if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.Is)):
                    record(test.left, test.comparators[0])
                elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                    record(test.operand, ast.Constant(False))
                else:
                    record(test, ast.Constant(True))

    def record(left, right):
        text = ast.unparse(left)
        if text.startswith("verification."):
            try:
                case["expect"][text[len("verification."):]] = value(right, env)
            except Unresolved as e:
                case["expect"][text[len("verification."):]] = {"unresolved": str(e)}

    visit(function.body)
    if case is None:
        return None
    if "__time__" in env:
        case["certificateValidationTime"] = env["__time__"]
    if notes:
        case["skip"] = "; ".join(notes)
    return case


def main():
    source, out_dir = sys.argv[1], sys.argv[2]
    for name in sorted(os.listdir(source)):
        if not (name.startswith("test_verify_") and name.endswith("_response.py") or name.startswith("test_verify_registration_response_")):
            continue
        tree = ast.parse(open(os.path.join(source, name), encoding="utf-8").read())
        cases = []
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")):
                case = extract(fn)
                if case is not None:
                    cases.append({"name": fn.name, **case})
        if cases:
            out = {"source": "duo-labs/py_webauthn tests/" + name, "cases": cases}
            with open(os.path.join(out_dir, name[len("test_"):-len(".py")] + ".json"), "w", encoding="utf-8") as f:
                json.dump(out, f, indent=1)
                f.write("\n")
            print(name, len(cases), "cases,", sum("skip" in c for c in cases), "skipped")


main()
