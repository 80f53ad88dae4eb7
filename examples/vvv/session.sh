#!/usr/bin/env bash
# A customer's session at Vinny's Vintage Vinyl with a real gRPC client (buf curl, over the
# server's reflection): browse, try to buy without logging in, buy, ask for the takings, then
# buy a gift card and spend some of it.
# Usage: session.sh [ADDR] (default 127.0.0.1:50070), with user `vinny`, password `spin`.
set -uo pipefail
addr=${1:-127.0.0.1:50070}
buf=${BUF:-$(dirname "$0")/../../.tools/npm/node_modules/.bin/buf}
catalog=vvv.shop.catalog.v0_1_0.Catalog
store=vvv.shop.store.v0_1_0.Store
cards=vvv.shop.gift_cards.v0_1_0.GiftCards

# Shows the call as a user would type it, then makes it (an error answer is shown, not fatal).
call() {
    local method=$1 body=$2; shift 2
    echo "\$ buf curl --protocol grpc --http2-prior-knowledge ${*:+$* }-d '$body' http://$addr/$method"
    "$buf" curl --protocol grpc --http2-prior-knowledge "$@" -d "$body" "http://$addr/$method" 2>&1
    echo
}

today=$(date -u +%Y-%m-%d)
IFS=- read -r year month day <<< "$today"
call "$catalog/Browse" '{"content": "CONTENT_TV", "media": "MEDIA_LASERDISC"}'
call "$catalog/Search" '{"text": "queen"}'
call "$store/Sell" '{"item": 2}'
call "$store/Sell" '{"item": 2}' -u vinny:wrong
call "$store/Sell" '{"item": 2}' -u vinny:spin
call "$store/Sell" '{"item": 2}' -u vinny:spin
call "$store/Sell" '{"item": 1}' -u vinny:spin
call "$store/Revenue" "{\"period\": {\"day\": {\"year\": $year, \"month\": $((10#$month)), \"day\": $((10#$day))}}}"
call "$store/Revenue" "{\"period\": {\"month\": {\"year\": $year, \"month\": $((10#$month))}}}"
call "$store/Revenue" '{"period": {"day": {"year": 2026, "month": 2, "day": 30}}}'
call "$store/BestSellers" '{}'
call "$store/MediaInStock" '{}'
bought=$(call "$cards/Buy" '{"cents": 2500}' -u vinny:spin)
echo "$bought"
code=$(printf '%s\n' "$bought" | sed -n 's/.*"code": "\(VVV-[0-9A-F]*\)".*/\1/p' | head -n 1)
call "$cards/Redeem" "{\"code\": \"$code\", \"cents\": 1000}"
call "$cards/Mine" '{}' -u vinny:spin
