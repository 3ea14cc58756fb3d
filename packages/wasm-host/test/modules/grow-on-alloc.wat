;; A module whose allocator grows its memory on every call and hands out the new page, so every
;; value the host copies in lands past the end of the memory the host saw before the call: reads
;; request header x-in, the whole request header map, and adds x-copy (the value) and x-pairs (the
;; map's entry count as one ASCII digit) from those new pages.
(module
  (import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "x-in")
  (data (i32.const 32) "x-copy")
  (data (i32.const 48) "x-pairs")
  (func (export "malloc") (param $n i32) (result i32)
    (local $pages i32)
    (local.set $pages (memory.grow (i32.add (i32.const 1) (i32.shr_u (local.get $n) (i32.const 16)))))
    (if (i32.eq (local.get $pages) (i32.const -1)) (then (unreachable)))
    (i32.shl (local.get $pages) (i32.const 16)))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (if (call $get (i32.const 0) (i32.const 16) (i32.const 4) (i32.const 1024) (i32.const 1028)) (then (return (i32.const 0))))
    (drop (call $add (i32.const 0) (i32.const 32) (i32.const 6) (i32.load (i32.const 1024)) (i32.load (i32.const 1028))))
    (if (call $pairs (i32.const 0) (i32.const 1032) (i32.const 1036)) (then (return (i32.const 0))))
    ;; the count is the map's first 4 bytes; written as a digit at 1040
    (i32.store8 (i32.const 1040) (i32.add (i32.const 48) (i32.load (i32.load (i32.const 1032)))))
    (drop (call $add (i32.const 0) (i32.const 48) (i32.const 7) (i32.const 1040) (i32.const 1)))
    (i32.const 0))
)
