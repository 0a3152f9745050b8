#!/usr/bin/env bash
# Writes testdata/signing-vectors.json: paths, keys, sizes and their
# signatures computed with openssl, independently of both the Go signer and
# the TypeScript client, which are tested against this file. Run it again
# only to add vectors: the committed file is the ground truth.
set -euo pipefail
cd "$(dirname "$0")/.."

sig() { # KEY SIZE PATH
	printf '%s' "$3" | openssl dgst -sha256 -hmac "$1" -binary | head -c "$2" | basenc --base64url | tr -d '='
}

long_key="$(printf 'k%.0s' $(seq 1 100))" # longer than SHA-256's block: HMAC hashes it first
vectors=(
	"secret|16|/w=400,f=webp/photos/cat.jpg"
	"secret|8|/w=400,f=webp/photos/cat.jpg"
	"secret|32|/w=400,f=webp/photos/cat.jpg"
	"secret|16|/thumb/photos/name%20with%20spaces%20%26%20%C3%BC.jpg"
	"another-signing-key-0123456789|16|/w=300,h=300,fit=cover,g=face,f=auto/faces/group_portrait_1.jpg"
	"another-signing-key-0123456789|16|/w=300,h=300,fit=cover,g=face,zoom=0.5,f=auto/faces/group_portrait_1.jpg"
	"another-signing-key-0123456789|22|/w=640,dpr=1.5,q=70,f=avif,blur=2.5,sharpen=1,bg=ff000080/a/b/c.png"
	"another-signing-key-0123456789|16|/_/photos/%E6%97%A5%E6%9C%AC.png"
	"$long_key|16|/hero,w=640/photos/cat.jpg"
	"test-signing-key-0123456789|16|/w=100,g=0.5x0.33,rotate=90,flip=hv,metadata=copyright,anim=false/x.gif"
	"test-signing-key-0123456789|16|/w=600,f=auto,q=80;avif:50;webp:70/photos/cat.jpg"
)
{
	echo '['
	n=${#vectors[@]}
	for i in "${!vectors[@]}"; do
		IFS='|' read -r key size path <<<"${vectors[$i]}"
		comma=","
		[ "$i" -eq $((n - 1)) ] && comma=""
		printf '  {"key": "%s", "size": %s, "path": "%s", "signature": "%s"}%s\n' "$key" "$size" "$path" "$(sig "$key" "$size" "$path")" "$comma"
	done
	echo ']'
} >testdata/signing-vectors.json
echo "wrote testdata/signing-vectors.json (${#vectors[@]} vectors)"
