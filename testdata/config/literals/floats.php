<?php
$CONFIG = [
  'simple' => 1.5,
  'exponent' => 1e3,
  'exponent_upper' => 2E-3,
  'exponent_signed' => 1.5e+2,
  'leading_dot' => .5,
  'trailing_dot' => 1.,
  'trailing_dot_exponent' => 1.e2,
  'zero' => 0.0,
  'negative' => -0.25,
  'negative_zero' => -0.0,
  'separators' => 1_000.000_5,
  'leading_zero_decimal' => 0755.5,
  'tiny' => 5e-324,
  'big' => 1.7976931348623157e308,
  'whole' => 3.0,
];
