#!/usr/bin/env bash
# Builds and runs the libFuzzer targets for the WebAuthn CBOR decoder, the authenticator data
# parser, the JSON reader, base64url decoding and the JPKI certificate reader: swiftc -sanitize=fuzzer,address over the few source files each needs (no SwiftPM),
# seeded from Tests/Vectors/webauthn-*. Usage: Fuzz/run.sh [runs per target, default 1000000].
# Crash inputs are kept in Fuzz/.build/artifacts/; a crash makes the script exit non-zero.
set -euo pipefail
runs="${1:-1000000}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
src="$root/Sources/HonninWebAuthn"
out="$here/.build"
mkdir -p "$out/artifacts"
rm -rf "$out/corpus-cbor" "$out/corpus-authdata"
python3 "$here/seeds.py" "$root/Tests/Vectors" "$out/corpus-cbor" "$out/corpus-authdata"

flags=(-sanitize=fuzzer,address -parse-as-library -O -g)

# run TARGET MAX_LEN [libFuzzer options…]: $out/TARGET-fuzz over $out/corpus-TARGET; a crash
# stops the script (pipefail) with the input kept in $out/artifacts/.
run() {
    local target="$1" max_len="$2"
    shift 2
    echo "== $target-fuzz: $runs runs"
    local start
    start=$(date +%s)
    "$out/$target-fuzz" -runs="$runs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$@" \
        -artifact_prefix="$out/artifacts/$target-" "$out/corpus-$target" 2>&1 | tail -n 12
    echo "== $target-fuzz: done in $(( $(date +%s) - start )) s"
}

export SWIFT_BACKTRACE=enable=no

# The CBOR decoder and the authenticator data parser (Sources/HonninWebAuthn).
swiftc "${flags[@]}" "$here/CBORFuzz.swift" "$src/CBOR.swift" -o "$out/cbor-fuzz"
swiftc "${flags[@]}" "$here/AuthenticatorDataFuzz.swift" "$src/AuthenticatorData.swift" "$src/CBOR.swift" "$src/WebAuthnError.swift" \
    -o "$out/authdata-fuzz"
run cbor 4096
run authdata 4096

# The strict JSON reader that reads clientDataJSON (Sources/HonninCore/JSONReader.swift), with a token dictionary.
rm -rf "$out/corpus-json"
python3 "$here/json_seeds.py" "$root/Tests/Vectors" "$out/corpus-json"
swiftc "${flags[@]}" "$here/JSONReaderFuzz.swift" "$root/Sources/HonninCore/JSONReader.swift" "$root/Sources/HonninCore/JSONValue.swift" -o "$out/json-fuzz"
run json 4096 -dict="$here/json.dict"

# base64url decoding (Sources/HonninCore/Bytes.swift), seeded with a few texts of each length class.
rm -rf "$out/corpus-b64"
mkdir -p "$out/corpus-b64"
printf 'Zm9vYmFy' > "$out/corpus-b64/foobar"
printf 'Zm9vYmE' > "$out/corpus-b64/fooba"
printf 'Zm9vYg' > "$out/corpus-b64/foob"
printf -- '-_8' > "$out/corpus-b64/urlsafe"
swiftc "${flags[@]}" "$here/Base64URLFuzz.swift" "$root/Sources/HonninCore/Bytes.swift" -o "$out/b64-fuzz"
run b64 512

# The in-place certificate reader of the JPKI checks (Sources/HonninPKI/CertificateFields.swift),
# seeded with the built-in J-LIS roots (DER from their PEM).
rm -rf "$out/corpus-x509"
mkdir -p "$out/corpus-x509"
for pem in "$root"/Sources/HonninPKI/Resources/jpki-roots/*.pem; do
    sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$pem" | grep -v -- '-----' | base64 -d > "$out/corpus-x509/$(basename "$pem" .pem).der"
done
swiftc "${flags[@]}" "$here/CertificateFieldsFuzz.swift" "$root/Sources/HonninPKI/CertificateFields.swift" -o "$out/x509-fuzz"
run x509 4096
