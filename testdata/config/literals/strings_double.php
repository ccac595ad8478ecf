<?php
$CONFIG = [
  "simple" => "n\nt\tr\rv\ve\ef\f",
  "escaped" => "back\\slash \$dollar \"quote\"",
  "octal" => "\101\60\7",
  "octal_overflow" => "\400",
  "hex" => "\x41\x4a\x4A\x7e",
  "hex_one_digit" => "\x9z",
  "hex_no_digit" => "\xZ",
  "unicode" => "\u{41}\u{e9}\u{20AC}\u{1F600}\u{0000041}",
  "u_without_brace" => "\u0041",
  "unknown" => "\q\d\[\{\'",
  "dollar_alone" => "costs $ 5, $1 and $",
  "brace_alone" => "{not interpolation} {",
  "single_inside" => "it's",
  "empty" => "",
];
