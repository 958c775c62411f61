// Stands in for github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vpc,
// which the Go module proxy refuses (403) at every version. Only flannel's
// tencentvpc backend imports it; the testbed never selects that backend.
module github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vpc

go 1.26.0
